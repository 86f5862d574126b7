//! Exchanged access tokens (Maps, OAuth) kept on disk between runs, so a shell loop calling
//! `devtoken maps-token` or `devtoken access-token` exchanges once per token life, not once per
//! run. Apple issues these tokens, so they cannot be aligned on a grid like signed ones.
//!
//! - Where: `$XDG_CACHE_HOME/devtoken` (else `~/.cache/devtoken`), a directory made `0700`.
//! - One file per entry, named by a SHA-256 of what identifies it (service, key id, client or
//!   issuer, origin, base URL), never of the key; written `0600` to a temporary file and renamed
//!   into place, so a reader never sees half a file.
//! - Reused until the core's renewal margin before expiry (`core_defaults()`'s Maps margins,
//!   which the OAuth providers share).
//! - A file that cannot be parsed, is not the caller's own, or is readable by others is refused
//!   with a message on stderr and ignored (then replaced).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The format version written into each file; other versions are ignored.
const FORMAT: u64 = 1;

/// An access token as the cache keeps it.
pub struct Entry {
    pub access_token: String,
    pub expires_in_secs: i64,
    pub expires_at: i64,
}

impl From<&devtoken::AccessToken> for Entry {
    fn from(token: &devtoken::AccessToken) -> Self {
        Entry {
            access_token: token.access_token.to_string(),
            expires_in_secs: token.expires_in_secs,
            expires_at: token.expires_at,
        }
    }
}

/// The cached entry for `identity` when it is fresh, else the result of `exchange`, cached;
/// with `use_cache` false, always `exchange`, and the cache is left alone.
pub fn through<E>(
    use_cache: bool,
    identity: &[String],
    exchange: impl FnOnce() -> Result<Entry, E>,
) -> Result<Entry, E> {
    let parts: Vec<&str> = identity.iter().map(String::as_str).collect();
    let slot = if use_cache { Slot::new(&parts) } else { None };
    if let Some(entry) = slot
        .as_ref()
        .and_then(|slot| slot.load(devtoken::unix_now()))
    {
        return Ok(entry);
    }
    let entry = exchange()?;
    if let Some(slot) = &slot {
        slot.store(&entry);
    }
    Ok(entry)
}

/// One cache entry's place on disk.
pub struct Slot {
    path: PathBuf,
}

impl Slot {
    /// The slot for `parts` (service, key id, client id, ... in a fixed order), or `None` when
    /// there is no cache directory to use (no `$XDG_CACHE_HOME` or `$HOME`).
    pub fn new(parts: &[&str]) -> Option<Self> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
        let mut hash = Sha256::new();
        for part in parts {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let name: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Some(Slot {
            path: base.join("devtoken").join(format!("{name}.json")),
        })
    }

    /// The cached token when it is still fresh at `now` by the core's margin; `None` (after a
    /// message on stderr for a file that is refused) otherwise.
    pub fn load(&self, now: i64) -> Option<Entry> {
        let metadata = fs::symlink_metadata(&self.path).ok()?;
        if let Err(why) = check_owned_and_private(&metadata) {
            refuse(&self.path, &why);
            return None;
        }
        let text = fs::read_to_string(&self.path).ok()?;
        let Some(entry) = parse(&text) else {
            refuse(
                &self.path,
                "it is not a devtoken cache file this version can read",
            );
            return None;
        };
        fresh(&entry, now).then_some(entry)
    }

    /// Writes `entry` atomically, `0600`, in a `0700` directory. Failures are reported on stderr
    /// and otherwise ignored: the cache only saves exchanges.
    pub fn store(&self, entry: &Entry) {
        if let Err(error) = self.try_store(entry) {
            eprintln!(
                "devtoken: note: could not cache the access token in {}: {error}",
                self.path.display()
            );
        }
    }

    fn try_store(&self, entry: &Entry) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let json = serde_json::json!({
            "format": FORMAT,
            "access_token": entry.access_token,
            "expires_in_secs": entry.expires_in_secs,
            "expires_at": entry.expires_at,
        });
        let temporary = dir.join(format!(
            ".{}.{}.tmp",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("entry"),
            std::process::id()
        ));
        let _ = fs::remove_file(&temporary);
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temporary)?;
            file.write_all(json.to_string().as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, &self.path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }
}

/// A file the caller does not own, or that others may read, is not trusted.
fn check_owned_and_private(metadata: &fs::Metadata) -> Result<(), String> {
    if !metadata.file_type().is_file() {
        return Err("it is not a regular file".to_string());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if metadata.uid() != me {
        return Err(format!(
            "it belongs to uid {}, not to you (uid {me})",
            metadata.uid()
        ));
    }
    let mode = metadata.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "its mode is {mode:03o}; a cache of tokens must be 600"
        ));
    }
    Ok(())
}

fn refuse(path: &Path, why: &str) {
    eprintln!(
        "devtoken: warning: ignoring the cache file {} because {why}; exchanging a new token",
        path.display()
    );
}

fn parse(text: &str) -> Option<Entry> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    if json.get("format")?.as_u64()? != FORMAT {
        return None;
    }
    Some(Entry {
        access_token: json.get("access_token")?.as_str()?.to_string(),
        expires_in_secs: json.get("expires_in_secs")?.as_i64()?,
        expires_at: json.get("expires_at")?.as_i64()?,
    })
}

/// Fresh while more than the core's margin (a fraction of the lifetime, at least some seconds)
/// is left, the rule the in-process providers follow.
fn fresh(entry: &Entry, now: i64) -> bool {
    let defaults = devtoken::core_defaults();
    let lifetime = entry.expires_in_secs.max(0) as f64;
    let margin = ((lifetime * defaults.maps_margin_fraction).ceil() as i64)
        .max(defaults.maps_min_margin_secs as i64);
    now < entry.expires_at.saturating_sub(margin)
}
