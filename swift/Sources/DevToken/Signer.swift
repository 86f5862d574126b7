import DevTokenUniFFI
import Foundation

/// Signs ES256 developer tokens with one parsed key. Thread-safe (`Sendable`): parse the key
/// once and share the signer.
///
///     let signer = try Signer(contentsOf: URL(filePath: "AuthKey_ABC123DEFG.p8"))
///     let token = try signer.signToken(.appleMusic, claims: Claims(issuer: "DEF123GHIJ", ttl: .seconds(3600)))
public final class Signer: Sendable, CustomStringConvertible {
    let native: DevTokenUniFFI.Signer

    init(native: DevTokenUniFFI.Signer) {
        self.native = native
    }

    /// Parses a PEM in any pasted form (CRLF, literal `\n`, one line, PKCS#8 or SEC1).
    /// `clockSkew`: how far `iat` is back-dated, in whole seconds (`nil`: the core's default,
    /// ``coreDefaults()``).
    /// `backend`: `.stockP256` selects p256's own signer, for comparison; both sign the same bytes.
    public convenience init(
        pem: String, keyId: String, clockSkew: Duration? = nil, backend: SigningBackend? = nil
    ) throws(DevTokenError) {
        let skew = try wholeSeconds(clockSkew, as: .clockSkew)
        let native = try translatingErrors {
            try DevTokenUniFFI.Signer.fromPem(pem: pem, keyId: keyId, clockSkewSecs: skew, backend: backend)
        }
        self.init(native: native)
    }

    /// Reads a key file; without `keyId`, the id comes from an `AuthKey_<KEYID>.p8` file name.
    public convenience init(
        contentsOf url: URL, keyId: String? = nil, clockSkew: Duration? = nil, backend: SigningBackend? = nil
    ) throws(DevTokenError) {
        let skew = try wholeSeconds(clockSkew, as: .clockSkew)
        let native = try translatingErrors {
            try DevTokenUniFFI.Signer.fromFile(
                path: url.path(percentEncoded: false), keyId: keyId, clockSkewSecs: skew, backend: backend)
        }
        self.init(native: native)
    }

    /// A signer over a fresh random key, for tests and local use.
    public static func generate(keyId: String, clockSkew: Duration? = nil) throws(DevTokenError) -> Signer {
        let skew = try wholeSeconds(clockSkew, as: .clockSkew)
        let native = try translatingErrors {
            try DevTokenUniFFI.Signer.generate(keyId: keyId, clockSkewSecs: skew)
        }
        return Signer(native: native)
    }

    /// The key id sent as `kid`.
    public var keyId: String { native.keyId() }

    /// How far `iat` is back-dated when claims carry no `issuedAt`.
    public var clockSkew: Duration { .seconds(native.clockSkewSecs()) }

    /// The public key as SPKI PEM, to verify tokens.
    public var publicKeyPEM: String { native.publicKeyPem() }

    /// Validates `claims` against `service`'s rules and signs a token at the system clock's time,
    /// or at `now` when given: the same key, claims and time give the same token (RFC 6979).
    public func signToken(_ service: Service, claims: Claims, at now: Date? = nil) throws(DevTokenError) -> String {
        let claims = try claims.native()
        return try translatingErrors {
            if let now {
                try native.signTokenAt(service: service, claims: claims, now: unixSeconds(now))
            } else {
                try native.signToken(service: service, claims: claims)
            }
        }
    }

    public var description: String { native.description }
}
