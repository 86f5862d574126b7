import DevTokenUniFFI
import Foundation

/// The payload of a token. Name only what the service needs; the core checks every field
/// against the service's rules (and refuses, naming the field and rule, what it does not define).
///
///     Claims(issuer: "57246542-96fe-1a63-e053-0824d011072a", bundleId: "com.example.app", ttl: .seconds(300))
public struct Claims: Sendable, Hashable {
    /// `iss`: the Team ID or the issuer ID, as the service wants.
    public var issuer: String?
    /// `iat`; `nil` signs at the current time, back-dated by the signer's clock skew.
    public var issuedAt: Date?
    /// `exp`; excludes `ttl`.
    public var expiresAt: Date?
    /// `exp − iat`, in whole seconds (a fraction of a second is the core's `whole_seconds`
    /// error); `nil` takes the service's default lifetime.
    public var ttl: Duration?
    /// `origin`: the web origins allowed to use the token (Maps takes one).
    public var origins: [String]
    /// `bid`: the app's bundle id (App Store Server, External Purchase Server).
    public var bundleId: String?
    /// `sub`: service id, client id, or `user`.
    public var subject: String?
    /// `scope` entries.
    public var scope: [String]
    /// `jti`: a unique id for the token (Apple School and Business Manager client assertions;
    /// `nil` there sends a fresh random UUID).
    public var jwtId: String?

    /// The parameters read in the order claims are usually written: who the token is for
    /// (`issuer`, `subject`, `bundleId`, `origins`, `scope`, `jwtId`), then when it is valid
    /// (`issuedAt`, `expiresAt`, `ttl`). Swift keeps labelled arguments in declaration order, so
    /// `Claims(issuer: ..., bundleId: ..., ttl: ...)` compiles and `ttl` before `bundleId` does not.
    public init(
        issuer: String? = nil, subject: String? = nil, bundleId: String? = nil, origins: [String] = [],
        scope: [String] = [], jwtId: String? = nil, issuedAt: Date? = nil, expiresAt: Date? = nil,
        ttl: Duration? = nil
    ) {
        self.issuer = issuer
        self.subject = subject
        self.bundleId = bundleId
        self.origins = origins
        self.scope = scope
        self.jwtId = jwtId
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.ttl = ttl
    }

    /// The generated record the core receives (times in whole UNIX seconds; `ttl` as the core
    /// converts it).
    func native() throws(DevTokenError) -> DevTokenUniFFI.Claims {
        DevTokenUniFFI.Claims(
            issuer: issuer, issuedAt: issuedAt.map(unixSeconds), expiresAt: expiresAt.map(unixSeconds),
            ttl: try wholeSeconds(ttl, as: .ttl), origins: origins, bundleId: bundleId, subject: subject,
            scope: scope, jwtId: jwtId)
    }
}
