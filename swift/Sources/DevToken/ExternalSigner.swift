import DevTokenUniFFI
import Foundation

/// A key devtoken never holds: a cloud KMS, an HSM, Vault's transit engine, any code of yours.
///
/// devtoken hashes what it signs with SHA-256 and passes the 32-byte digest to ``signDigest(_:)``,
/// which returns the ECDSA P-256 signature of that digest as it is (no second hashing), in DER or
/// as 64 bytes r||s. A ``Signer`` made with ``Signer/init(external:publicKeyPEM:keyId:timeout:clockSkew:)``
/// checks every answer against the declared public key before it returns a token: a signature by
/// another key is ``DevTokenError/externalSigner(field:rule:message:)`` with rule `wrong_key`,
/// bytes that are no signature give `signature_shape`, and anything ``signDigest(_:)`` throws
/// gives `failed` with the error's description in the message. A KMS takes the digest as such
/// (AWS KMS: `MessageType=DIGEST`, `SigningAlgorithm=ECDSA_SHA_256`); an API that hashes what it
/// is given (`signature(for: data)`) would sign something else, refused as `wrong_key`.
///
///     // Stands in for your KMS client's "sign this digest" call (AWS KMS: `Sign` with
///     // MessageType DIGEST, SigningAlgorithm ECDSA_SHA_256), which returns DER.
///     struct KMS: ExternalSigner {
///         func signDigest(_ digest: Data) throws -> Data { throw CocoaError(.featureUnsupported) }
///     }
///     // The key's public half, as the KMS's `GetPublicKey` gives it.
///     let publicKeyPEM = signer.publicKeyPEM
///     let kmsSigner = try Signer(external: KMS(), publicKeyPEM: publicKeyPEM, keyId: "ABC123DEFG")
///     do {
///         _ = try kmsSigner.signToken(.appleMusic, claims: Claims(issuer: "DEF123GHIJ"))
///     } catch .externalSigner(_, let rule, let message) {
///         print(rule, message)  // failed external signer (callback): CocoaError: ...
///     } catch {
///         print(error)
///     }
///
/// ``signDigest(_:)`` runs on a thread devtoken starts for the call, at most the signer's timeout
/// is waited for it, and calls for tokens signed at the same time overlap. Tokens are not
/// deterministic: the signer picks its own nonces.
public protocol ExternalSigner: Sendable {
    /// The ECDSA P-256 signature (DER or 64 bytes r||s) of the SHA-256 `digest`, not hashed again.
    func signDigest(_ digest: Data) throws -> Data
}

/// An ``ExternalSigner`` made of a closure.
struct ExternalSignerClosure: ExternalSigner {
    let body: @Sendable (Data) throws -> Data

    func signDigest(_ digest: Data) throws -> Data { try body(digest) }
}

/// `signer` as the uniffi callback: whatever it throws becomes the declared error with the
/// error's type and description, which the core reports as rule `failed`. ``DevTokenError`` is
/// an `Equatable` value with no room for the thrown error itself, so no cause handle is passed.
final class ForeignDigestSigner: DevTokenUniFFI.ExternalDigestSigner {
    let signer: any ExternalSigner

    init(_ signer: any ExternalSigner) {
        self.signer = signer
    }

    func signDigest(digest: Data) throws -> Data {
        do {
            return try signer.signDigest(digest)
        } catch {
            let description = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            throw DigestSignerError.Failed(reason: "\(type(of: error)): \(description)", causeHandle: 0)
        }
    }
}

extension Signer {
    /// A signer whose key is held by `signer` (a KMS client, an HSM; see ``ExternalSigner``),
    /// declared by `publicKeyPEM` (SPKI PEM, as a KMS's `GetPublicKey` gives it, or any form
    /// ``init(pem:keyId:clockSkew:backend:)`` takes): each answer is verified against it before a
    /// token is returned. `timeout`: the longest wait for one signature, in whole milliseconds
    /// (`nil`: the core's default); a signer that hangs gives rule `timeout`. `clockSkew` as for
    /// ``init(pem:keyId:clockSkew:backend:)``.
    ///
    /// ``signToken(_:claims:at:)`` blocks while the signer works (up to `timeout`): from async code
    /// on a busy server, call it off Swift's cooperative pool.
    public convenience init(
        external signer: some ExternalSigner, publicKeyPEM: String, keyId: String, timeout: Duration? = nil,
        clockSkew: Duration? = nil
    ) throws(DevTokenError) {
        let skew = try wholeSeconds(clockSkew, as: .clockSkew)
        let timeoutMs = timeout.map(wholeMilliseconds)
        let native = try translatingErrors {
            try DevTokenUniFFI.Signer.fromExternal(
                publicKeyPem: publicKeyPEM, keyId: keyId, signer: ForeignDigestSigner(signer), timeoutMs: timeoutMs,
                clockSkewSecs: skew)
        }
        self.init(native: native)
    }

    /// Like ``init(external:publicKeyPEM:keyId:timeout:clockSkew:)`` with a closure that signs
    /// the digest.
    public convenience init(
        publicKeyPEM: String, keyId: String, timeout: Duration? = nil, clockSkew: Duration? = nil,
        signDigest: @escaping @Sendable (Data) throws -> Data
    ) throws(DevTokenError) {
        try self.init(
            external: ExternalSignerClosure(body: signDigest), publicKeyPEM: publicKeyPEM, keyId: keyId,
            timeout: timeout, clockSkew: clockSkew)
    }

    /// A signer over a key inside an HSM, from an RFC 7512 `pkcs11:` URI: `module-path=`, the
    /// token, the key by `object=` or `id=`, the PIN only from `pin-source=file:...` or `env:...`.
    /// Without `keyId`, a key labelled `AuthKey_<KEYID>` gives it. A wrong PIN, a missing key or
    /// token and a key on another curve are ``DevTokenError/externalSigner(field:rule:message:)``
    /// naming the cause. `timeout` and `clockSkew` as for
    /// ``init(external:publicKeyPEM:keyId:timeout:clockSkew:)``.
    public convenience init(
        pkcs11URI uri: String, keyId: String? = nil, timeout: Duration? = nil, clockSkew: Duration? = nil
    ) throws(DevTokenError) {
        let skew = try wholeSeconds(clockSkew, as: .clockSkew)
        let timeoutMs = timeout.map(wholeMilliseconds)
        let native = try translatingErrors {
            try DevTokenUniFFI.Signer.fromPkcs11(uri: uri, keyId: keyId, timeoutMs: timeoutMs, clockSkewSecs: skew)
        }
        self.init(native: native)
    }

    /// The longest wait for one signature of an ``ExternalSigner``; `nil` for a signer that holds
    /// its key.
    public var externalTimeout: Duration? { native.externalTimeoutMs().map { .milliseconds($0) } }
}
