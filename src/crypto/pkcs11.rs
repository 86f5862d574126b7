//! Keys inside an HSM, through PKCS#11 (feature `pkcs11`): a [`Pkcs11Signer`] is an
//! [`ExternalSigner`] over a module (`libsofthsm2.so`, CloudHSM's or a smart card's library), a
//! token (by label or slot id), an EC P-256 private key (by label or id) and a user PIN read from a
//! file or an environment variable, never from a command line.
//!
//! The configuration comes from fields or from an RFC 7512 `pkcs11:` URI
//! ([`Pkcs11Config::from_uri`]). Every failure is an [`Error::ExternalSigner`] whose
//! [`SignerProblem`] says what to fix: `unavailable` (the module does not load, the token went
//! away mid-session), `token_not_present`, `pin_incorrect`, `key_not_found`, `wrong_curve`,
//! `config` (a URI devtoken will not use, such as one carrying the PIN itself).
//!
//! A session is used by one call at a time (it sits behind a mutex); a call that finds its session
//! gone (token removed, session closed) opens a new one once, reading the PIN again, so the PIN is
//! not kept in memory between logins. HSMs sign with random nonces: tokens are valid but not
//! byte-identical from run to run.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::contract::error::{Error, Result, SignerProblem};
use crate::crypto::external::{ExternalSigner, ExternalSignerError};
use crate::crypto::keys::PublicKey;

/// The DER of the P-256 (prime256v1, secp256r1) object identifier, as `CKA_EC_PARAMS` holds it.
const P256_OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Which token of the module holds the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pkcs11Token {
    /// The token whose label (`CKA_LABEL` of the token, blank-padded by the module) is this.
    Label(String),
    /// The slot with this id.
    SlotId(u64),
}

/// Where the user PIN is read from when logging in: never a literal on a command line.
#[derive(Clone, PartialEq, Eq)]
pub enum PinSource {
    /// A file holding the PIN (one trailing newline is ignored); `file:/path` in a URI.
    File(PathBuf),
    /// An environment variable; `env:NAME` in a URI.
    Env(String),
}

impl fmt::Debug for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinSource::File(path) => write!(f, "PinSource::File({})", path.display()),
            PinSource::Env(name) => write!(f, "PinSource::Env({name})"),
        }
    }
}

impl PinSource {
    /// `file:/path/to/pin` or `env:VARIABLE`.
    ///
    /// ```
    /// use devtoken::PinSource;
    /// assert_eq!(PinSource::parse("env:HSM_PIN")?, PinSource::Env("HSM_PIN".into()));
    /// assert!(PinSource::parse("1234").is_err());
    /// # Ok::<(), devtoken::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(path) = text.strip_prefix("file:") {
            // file:///run/pin and file:/run/pin name the same file.
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(config_error("pin-source 'file:' names no file"));
            }
            Ok(PinSource::File(PathBuf::from(path)))
        } else if let Some(name) = text.strip_prefix("env:") {
            if name.is_empty() {
                return Err(config_error("pin-source 'env:' names no variable"));
            }
            Ok(PinSource::Env(name.to_string()))
        } else {
            Err(config_error(
                "pin-source must be file:/path/to/pin or env:VARIABLE (the PIN itself is never taken \
                 from a URI or a command line)",
            ))
        }
    }

    /// Reads the PIN; the text is wiped from memory when the login is done.
    fn read(&self) -> std::result::Result<AuthPin, ExternalSignerError> {
        let mut text = match self {
            PinSource::File(path) => match std::fs::read(path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Zeroizing::new(text),
                    Err(e) => {
                        Zeroizing::new(e.into_bytes());
                        return Err(ExternalSignerError::new(
                            SignerProblem::Config,
                            format!("the PIN file {} is not UTF-8 text", path.display()),
                        ));
                    }
                },
                Err(e) => {
                    return Err(ExternalSignerError::new(
                        SignerProblem::Config,
                        format!("cannot read the PIN file {}: {e}", path.display()),
                    ))
                }
            },
            PinSource::Env(name) => match std::env::var(name) {
                Ok(text) => Zeroizing::new(text),
                Err(_) => {
                    return Err(ExternalSignerError::new(
                        SignerProblem::Config,
                        format!("the PIN variable {name} is not set (or not UTF-8)"),
                    ))
                }
            },
        };
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        // The String moves into the AuthPin (a SecretString, wiped on drop); `text` keeps nothing.
        Ok(AuthPin::from(std::mem::take(&mut *text)))
    }
}

/// What a [`Pkcs11Signer`] opens: module, token, key, PIN source.
///
/// ```
/// use devtoken::{Pkcs11Config, Pkcs11Token, PinSource};
/// let config = Pkcs11Config::from_uri(
///     "pkcs11:token=devtoken;object=AuthKey_ABC123DEFG\
///      ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin",
/// )?;
/// assert_eq!(config.token, Some(Pkcs11Token::Label("devtoken".into())));
/// assert_eq!(config.pin_source, Some(PinSource::File("/run/secrets/pin".into())));
/// assert_eq!(config.apple_key_id().as_deref(), Some("ABC123DEFG"));
/// # Ok::<(), devtoken::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs11Config {
    /// The PKCS#11 module (a shared library).
    pub module_path: PathBuf,
    /// The token; `None` when the module has exactly one.
    pub token: Option<Pkcs11Token>,
    /// The private key's `CKA_LABEL`.
    pub key_label: Option<String>,
    /// The private key's `CKA_ID`.
    pub key_id: Option<Vec<u8>>,
    /// Where the user PIN comes from; `None` for a token that needs no login.
    pub pin_source: Option<PinSource>,
}

impl Pkcs11Config {
    /// A configuration for `module_path` with nothing else chosen yet.
    pub fn new(module_path: impl Into<PathBuf>) -> Self {
        Pkcs11Config {
            module_path: module_path.into(),
            token: None,
            key_label: None,
            key_id: None,
            pin_source: None,
        }
    }

    /// The key's `CKA_ID` from hex text (`0a1b`, colons allowed: `0a:1b`).
    pub fn key_id_hex(mut self, hex: &str) -> Result<Self> {
        let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
        if digits.is_empty() || digits.len() % 2 != 0 {
            return Err(config_error(format!(
                "key id '{hex}' is not an even number of hex digits"
            )));
        }
        let mut id = Vec::with_capacity(digits.len() / 2);
        for pair in digits.chunks(2) {
            match (hex_value(pair[0]), hex_value(pair[1])) {
                (Some(high), Some(low)) => id.push(high << 4 | low),
                _ => return Err(config_error(format!("key id '{hex}' is not hex"))),
            }
        }
        self.key_id = Some(id);
        Ok(self)
    }

    /// Parses an RFC 7512 URI: path attributes `token`, `slot-id`, `object`, `id`, `type`
    /// (`private` only) and query attributes `module-path` and `pin-source` (`file:/path` or
    /// `env:VARIABLE`). A `pin-value` is refused: a PIN in a URI ends up in shell histories and
    /// process lists. Unknown attributes are refused rather than ignored.
    pub fn from_uri(uri: &str) -> Result<Self> {
        let rest = uri
            .strip_prefix("pkcs11:")
            .ok_or_else(|| config_error("a PKCS#11 URI starts with 'pkcs11:'"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut module_path = None;
        let mut config = Pkcs11Config::new("");
        for (name, value) in attributes(query, '&')? {
            match name.as_str() {
                "module-path" => module_path = Some(PathBuf::from(text_value(&name, value)?)),
                "pin-source" => config.pin_source = Some(PinSource::parse(&text_value(&name, value)?)?),
                "pin-value" => {
                    return Err(config_error(
                        "the URI carries the PIN itself (pin-value): devtoken refuses it, since a PIN in a URI \
                         ends up in shell histories and process lists; use pin-source=file:/path or \
                         pin-source=env:VARIABLE",
                    ))
                }
                other => return Err(config_error(format!("query attribute '{other}' is not supported"))),
            }
        }
        for (name, value) in attributes(path, ';')? {
            match name.as_str() {
                "token" => config.token = Some(Pkcs11Token::Label(text_value(&name, value)?)),
                "slot-id" => {
                    let text = text_value(&name, value)?;
                    let id = text
                        .parse()
                        .map_err(|_| config_error(format!("slot-id '{text}' is not a number")))?;
                    config.token = Some(Pkcs11Token::SlotId(id));
                }
                "object" => config.key_label = Some(text_value(&name, value)?),
                "id" => config.key_id = Some(value),
                "type" => {
                    if value != b"private" {
                        return Err(config_error(
                            "type must be 'private': devtoken signs with a private key",
                        ));
                    }
                }
                other => {
                    return Err(config_error(format!(
                        "path attribute '{other}' is not supported"
                    )))
                }
            }
        }
        config.module_path = module_path.ok_or_else(|| {
            config_error(
                "the URI has no module-path (e.g. ?module-path=/usr/lib/softhsm/libsofthsm2.so)",
            )
        })?;
        if config.key_label.is_none() && config.key_id.is_none() {
            return Err(config_error(
                "the URI names no key: give object=<label> or id=<bytes>",
            ));
        }
        Ok(config)
    }

    /// The key id Apple gave the key, when the key's label is `AuthKey_<KEYID>` (as the `.p8`
    /// file was named).
    pub fn apple_key_id(&self) -> Option<String> {
        let id = self.key_label.as_deref()?.strip_prefix("AuthKey_")?;
        (id.len() == 10 && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| id.to_string())
    }

    fn describe(&self) -> String {
        let token = match &self.token {
            Some(Pkcs11Token::Label(label)) => format!("token '{label}'"),
            Some(Pkcs11Token::SlotId(id)) => format!("slot {id}"),
            None => "the only token".to_string(),
        };
        let key = match (&self.key_label, &self.key_id) {
            (Some(label), _) => format!("key '{label}'"),
            (None, Some(id)) => format!("key id {}", hex_text(id)),
            (None, None) => "no key".to_string(),
        };
        format!("PKCS#11 {token}, {key}")
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|v| v as u8)
}

fn hex_text(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn config_error(message: impl Into<String>) -> Error {
    Error::external("PKCS#11 URI", SignerProblem::Config, message, None)
}

/// `name=value` pairs split on `separator`, values percent-decoded to bytes.
fn attributes(text: &str, separator: char) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for part in text.split(separator).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| config_error(format!("'{part}' is not name=value")))?;
        out.push((name.to_string(), percent_decode(value)?));
    }
    Ok(out)
}

fn percent_decode(text: &str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = bytes.get(i + 1).copied().and_then(hex_value);
            let low = bytes.get(i + 2).copied().and_then(hex_value);
            match (high, low) {
                (Some(high), Some(low)) => out.push(high << 4 | low),
                _ => {
                    return Err(config_error(format!(
                        "'{text}' has a '%' not followed by two hex digits"
                    )))
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn text_value(name: &str, value: Vec<u8>) -> Result<String> {
    String::from_utf8(value)
        .map_err(|_| config_error(format!("the value of '{name}' is not UTF-8")))
}

/// One loaded, initialised context per module path, shared by every signer of the process (a
/// module is initialised once per process; a second `C_Initialize` would be refused).
fn context(module: &Path) -> std::result::Result<Pkcs11, ExternalSignerError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut contexts = CONTEXTS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(context) = contexts.get(module) {
        return Ok(context.clone());
    }
    if !module.is_file() {
        return Err(ExternalSignerError::new(
            SignerProblem::Unavailable,
            format!("the PKCS#11 module {} does not exist", module.display()),
        ));
    }
    let context = Pkcs11::new(module).map_err(|e| {
        ExternalSignerError::new(
            SignerProblem::Unavailable,
            format!("the PKCS#11 module {} does not load: {e}", module.display()),
        )
    })?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failure(&e, "initialising the module")),
    }
    contexts.insert(module.to_path_buf(), context.clone());
    Ok(context)
}

/// The problem a cryptoki error stands for.
fn problem_of(error: &CkError) -> SignerProblem {
    match error {
        CkError::LibraryLoading(_) | CkError::MissingSymbol(_) | CkError::NullFunctionPointer => {
            SignerProblem::Unavailable
        }
        CkError::Pkcs11(rv, _) => match rv {
            RvError::PinIncorrect
            | RvError::PinInvalid
            | RvError::PinLenRange
            | RvError::PinLocked
            | RvError::PinExpired => SignerProblem::PinIncorrect,
            RvError::TokenNotPresent | RvError::TokenNotRecognized | RvError::SlotIdInvalid => {
                SignerProblem::TokenNotPresent
            }
            RvError::DeviceRemoved
            | RvError::DeviceError
            | RvError::DeviceMemory
            | RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::CryptokiNotInitialized
            | RvError::UserNotLoggedIn => SignerProblem::Unavailable,
            RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid => SignerProblem::KeyNotFound,
            _ => SignerProblem::Failed,
        },
        _ => SignerProblem::Failed,
    }
}

/// Whether a new session might succeed where this one failed.
fn session_lost(error: &CkError) -> bool {
    matches!(
        error,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::UserNotLoggedIn
                | RvError::KeyHandleInvalid
                | RvError::ObjectHandleInvalid,
            _
        )
    )
}

fn failure(error: &CkError, doing: &str) -> ExternalSignerError {
    let code = match error {
        CkError::Pkcs11(rv, function) => format!("C_{function:?} answered {rv:?}"),
        other => other.to_string(),
    };
    ExternalSignerError::new(problem_of(error), format!("{doing}: {code}"))
}

/// An open session, logged in, with the key's handle.
struct Connection {
    session: Session,
    key: ObjectHandle,
}

/// An [`ExternalSigner`] over a PKCS#11 private key (CKM_ECDSA on the digest). Build a
/// [`Signer`](crate::Signer) on it with [`Signer::from_pkcs11`](crate::Signer::from_pkcs11) or
/// [`Signer::from_external`](crate::Signer::from_external).
///
/// ```no_run
/// use std::sync::Arc;
/// use devtoken::{Claims, Pkcs11Config, Pkcs11Signer, Service, Signer};
/// let config = Pkcs11Config::from_uri(
///     "pkcs11:token=devtoken;object=AuthKey_ABC123DEFG\
///      ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:HSM_PIN",
/// )?;
/// let signer = Signer::from_external(Arc::new(Pkcs11Signer::open(config)?), "ABC123DEFG")?;
/// let token = signer.sign_token(Service::AppleMusic, &Claims::new("DEF123GHIJ"))?;
/// # Ok::<(), devtoken::Error>(())
/// ```
pub struct Pkcs11Signer {
    config: Pkcs11Config,
    context: Pkcs11,
    public_key: PublicKey,
    name: String,
    connection: Mutex<Option<Connection>>,
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("signer", &self.name)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Signer {
    /// Loads the module, finds the token, logs in, finds the EC private key and its public half,
    /// and checks the curve is P-256.
    pub fn open(config: Pkcs11Config) -> Result<Self> {
        let name = config.describe();
        let wrap = |e: ExternalSignerError| Error::external(&name, e.problem, e.message, e.cause);
        let context = context(&config.module_path).map_err(wrap)?;
        let connection = connect(&context, &config).map_err(wrap)?;
        let public_key = public_key_of(&connection, &config).map_err(wrap)?;
        Ok(Pkcs11Signer {
            config,
            context,
            public_key,
            name: name.clone(),
            connection: Mutex::new(Some(connection)),
        })
    }

    /// What it was opened with.
    pub fn config(&self) -> &Pkcs11Config {
        &self.config
    }
}

impl ExternalSigner for Pkcs11Signer {
    fn public_key(&self) -> PublicKey {
        self.public_key
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> std::result::Result<Vec<u8>, ExternalSignerError> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for attempt in 0..2 {
            let connection = match slot.take() {
                Some(connection) => connection,
                None => connect(&self.context, &self.config)?,
            };
            match connection
                .session
                .sign(&Mechanism::Ecdsa, connection.key, digest)
            {
                Ok(signature) => {
                    *slot = Some(connection);
                    return Ok(signature);
                }
                // The session went away (token removed, module reset): one new session, with a
                // fresh lookup of token and key, before giving up.
                Err(e) if session_lost(&e) && attempt == 0 => drop(connection),
                Err(e) => {
                    if !session_lost(&e) {
                        *slot = Some(connection);
                    }
                    return Err(failure(&e, "signing"));
                }
            }
        }
        Err(ExternalSignerError::new(
            SignerProblem::Unavailable,
            "the session was lost twice",
        ))
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A session on the configured token, logged in, with the private key found.
fn connect(
    context: &Pkcs11,
    config: &Pkcs11Config,
) -> std::result::Result<Connection, ExternalSignerError> {
    let slot = find_slot(context, config)?;
    let session = context
        .open_ro_session(slot)
        .map_err(|e| failure(&e, "opening a session"))?;
    let login_required = context
        .get_token_info(slot)
        .map(|info| info.login_required())
        .map_err(|e| failure(&e, "reading the token's information"))?;
    if login_required {
        let source = config.pin_source.as_ref().ok_or_else(|| {
            ExternalSignerError::new(
                SignerProblem::Config,
                "the token needs a user PIN: give pin-source=file:/path or pin-source=env:VARIABLE",
            )
        })?;
        let pin = source.read()?;
        match session.login(UserType::User, Some(&pin)) {
            // Logins are per token and process: another signer of this process already did it.
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => {
                let mut failure = failure(&e, "logging in");
                if failure.problem == SignerProblem::PinIncorrect {
                    failure.message = format!("the user PIN was refused ({})", failure.message);
                }
                return Err(failure);
            }
        }
    }
    let key = find_key(&session, config)?;
    Ok(Connection { session, key })
}

fn find_slot(
    context: &Pkcs11,
    config: &Pkcs11Config,
) -> std::result::Result<Slot, ExternalSignerError> {
    let slots = context
        .get_slots_with_token()
        .map_err(|e| failure(&e, "listing the slots"))?;
    let not_present = |what: String| ExternalSignerError::new(SignerProblem::TokenNotPresent, what);
    match &config.token {
        None => match slots.as_slice() {
            [only] => Ok(*only),
            [] => Err(not_present("the module has no token".into())),
            _ => Err(ExternalSignerError::new(
                SignerProblem::Config,
                format!(
                    "the module has {} tokens: choose one with token=<label> or slot-id=<id>",
                    slots.len()
                ),
            )),
        },
        Some(Pkcs11Token::SlotId(id)) => slots
            .into_iter()
            .find(|slot| slot.id() == *id)
            .ok_or_else(|| not_present(format!("no token in slot {id}"))),
        Some(Pkcs11Token::Label(label)) => {
            let mut labels = Vec::new();
            for slot in slots {
                // A slot whose token cannot be read is skipped, not fatal: the wanted one may be fine.
                let Ok(info) = context.get_token_info(slot) else {
                    continue;
                };
                if info.label().trim_end() == label {
                    return Ok(slot);
                }
                labels.push(format!("'{}'", info.label().trim_end()));
            }
            Err(not_present(format!(
                "no token labelled '{label}' (tokens present: {})",
                if labels.is_empty() {
                    "none".to_string()
                } else {
                    labels.join(", ")
                }
            )))
        }
    }
}

fn find_key(
    session: &Session,
    config: &Pkcs11Config,
) -> std::result::Result<ObjectHandle, ExternalSignerError> {
    let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
    if let Some(label) = &config.key_label {
        template.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    if let Some(id) = &config.key_id {
        template.push(Attribute::Id(id.clone()));
    }
    let found = session
        .find_objects(&template)
        .map_err(|e| failure(&e, "looking for the key"))?;
    match found.as_slice() {
        [key] => Ok(*key),
        [] => Err(ExternalSignerError::new(
            SignerProblem::KeyNotFound,
            "no private key with that label/id on the token (is the PIN's user allowed to see it?)",
        )),
        _ => Err(ExternalSignerError::new(
            SignerProblem::Config,
            format!(
                "{} private keys match: give both object=<label> and id=<bytes>",
                found.len()
            ),
        )),
    }
}

/// The key's public half, after checking it is an EC key on P-256: `CKA_EC_POINT` of the matching
/// public key object, else `CKA_EC_POINT` or `CKA_PUBLIC_KEY_INFO` on the private key itself.
fn public_key_of(
    connection: &Connection,
    config: &Pkcs11Config,
) -> std::result::Result<PublicKey, ExternalSignerError> {
    let session = &connection.session;
    let attributes = session
        .get_attributes(
            connection.key,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::Id,
                AttributeType::Label,
                AttributeType::EcPoint,
                AttributeType::PublicKeyInfo,
            ],
        )
        .map_err(|e| failure(&e, "reading the key's attributes"))?;
    let mut key_type = None;
    let (mut params, mut id, mut label, mut point, mut info) = (None, None, None, None, None);
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(v) => params = Some(v),
            Attribute::Id(v) => id = Some(v),
            Attribute::Label(v) => label = Some(v),
            Attribute::EcPoint(v) if !v.is_empty() => point = Some(v),
            Attribute::PublicKeyInfo(v) if !v.is_empty() => info = Some(v),
            _ => {}
        }
    }
    if key_type != Some(KeyType::EC) {
        return Err(ExternalSignerError::new(
            SignerProblem::WrongCurve,
            format!(
                "the key is not an EC key ({}): ES256 needs a P-256 key",
                key_type.map_or("type unknown".to_string(), |t| t.to_string())
            ),
        ));
    }
    match params.as_deref() {
        Some(p) if p == P256_OID => {}
        other => {
            return Err(ExternalSignerError::new(
                SignerProblem::WrongCurve,
                format!(
                    "the key is on {}, not P-256: ES256 needs a P-256 key",
                    curve_name(other)
                ),
            ))
        }
    }
    if point.is_none() {
        let mut template = vec![Attribute::Class(ObjectClass::PUBLIC_KEY)];
        match (
            &config.key_id,
            id.filter(|i| !i.is_empty()),
            label.filter(|l| !l.is_empty()),
        ) {
            (_, Some(id), _) => template.push(Attribute::Id(id)),
            (_, None, Some(label)) => template.push(Attribute::Label(label)),
            _ => {}
        }
        if template.len() > 1 {
            if let Ok(found) = session.find_objects(&template) {
                if let [public] = found.as_slice() {
                    if let Ok(values) = session.get_attributes(*public, &[AttributeType::EcPoint]) {
                        for value in values {
                            if let Attribute::EcPoint(v) = value {
                                point = Some(v);
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(point) = point {
        return PublicKey::from_sec1_bytes(unwrap_octet_string(&point)).map_err(|e| {
            ExternalSignerError::new(
                SignerProblem::WrongCurve,
                format!("the key's CKA_EC_POINT: {e}"),
            )
        });
    }
    if let Some(info) = info {
        return PublicKey::from_bytes(&info).map_err(|e| {
            ExternalSignerError::new(
                SignerProblem::WrongCurve,
                format!("the key's CKA_PUBLIC_KEY_INFO: {e}"),
            )
        });
    }
    Err(ExternalSignerError::new(
        SignerProblem::KeyNotFound,
        "the private key was found but not its public key (no public key object with the same id or label, \
         and no CKA_EC_POINT or CKA_PUBLIC_KEY_INFO on the private key)",
    ))
}

/// `CKA_EC_POINT` is a DER OCTET STRING around the SEC1 point; some modules give the bare point.
fn unwrap_octet_string(bytes: &[u8]) -> &[u8] {
    match bytes {
        [0x04, length, rest @ ..] if usize::from(*length) == rest.len() && *length < 0x80 => rest,
        [0x04, 0x81, length, rest @ ..] if usize::from(*length) == rest.len() => rest,
        _ => bytes,
    }
}

fn curve_name(params: Option<&[u8]>) -> String {
    match params {
        None => "an unnamed curve (no CKA_EC_PARAMS)".to_string(),
        Some([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]) => "P-384".to_string(),
        Some([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]) => "P-521".to_string(),
        Some([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a]) => "secp256k1".to_string(),
        Some(other) => format!("the curve with CKA_EC_PARAMS {}", hex_text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(result: Result<Pkcs11Config>) -> &'static str {
        result.unwrap_err().rule().unwrap()
    }

    #[test]
    fn uris_parse_and_pins_in_uris_are_refused() {
        let config = Pkcs11Config::from_uri(
            "pkcs11:slot-id=7;id=%01%ab;type=private?module-path=/m.so&pin-source=env:PIN",
        )
        .unwrap();
        assert_eq!(config.token, Some(Pkcs11Token::SlotId(7)));
        assert_eq!(config.key_id, Some(vec![0x01, 0xab]));
        assert_eq!(config.pin_source, Some(PinSource::Env("PIN".into())));
        assert_eq!(config.module_path, PathBuf::from("/m.so"));
        let error =
            Pkcs11Config::from_uri("pkcs11:object=k?module-path=/m.so&pin-value=1234").unwrap_err();
        assert_eq!(error.rule(), Some("config"));
        assert!(error.to_string().contains("pin-value"), "{error}");
        assert!(!error.to_string().contains("1234"), "{error}");
        assert_eq!(rule(Pkcs11Config::from_uri("pkcs11:object=k")), "config");
        assert_eq!(
            rule(Pkcs11Config::from_uri("pkcs11:token=t?module-path=/m.so")),
            "config"
        );
        assert_eq!(
            rule(Pkcs11Config::from_uri(
                "pkcs11:object=%zz?module-path=/m.so"
            )),
            "config"
        );
        assert_eq!(
            rule(Pkcs11Config::from_uri(
                "pkcs11:color=red;object=k?module-path=/m.so"
            )),
            "config"
        );
        assert_eq!(
            rule(Pkcs11Config::from_uri(
                "pkcs11:object=k?module-path=/m.so&pin-source=1234"
            )),
            "config"
        );
        assert_eq!(
            rule(Pkcs11Config::from_uri(
                "pkcs11:type=public;object=k?module-path=/m.so"
            )),
            "config"
        );
        assert_eq!(rule(Pkcs11Config::from_uri("file:/x")), "config");
        assert_eq!(
            Pkcs11Config::new("/m.so")
                .key_id_hex("0A:1b")
                .unwrap()
                .key_id,
            Some(vec![0x0a, 0x1b])
        );
        assert!(Pkcs11Config::new("/m.so").key_id_hex("abc").is_err());
        assert!(Pkcs11Config::new("/m.so").key_id_hex("zz").is_err());
    }

    #[test]
    fn ec_points_with_and_without_their_octet_string() {
        let point = [0x04; 65];
        let mut wrapped = vec![0x04, 65];
        wrapped.extend_from_slice(&point);
        assert_eq!(unwrap_octet_string(&wrapped), &point[..]);
        assert_eq!(unwrap_octet_string(&point), &point[..]);
        assert_eq!(unwrap_octet_string(&[]), &[] as &[u8]);
    }

    #[test]
    fn a_module_that_does_not_exist_is_unavailable() {
        let config =
            Pkcs11Config::from_uri("pkcs11:object=k?module-path=/nonexistent/libnothing.so")
                .unwrap();
        let error = Pkcs11Signer::open(config).unwrap_err();
        assert_eq!(error.rule(), Some("unavailable"), "{error}");
    }
}
