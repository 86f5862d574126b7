import DevTokenUniFFI
import Foundation

/// A cached, self-renewing token following the service's reuse rule (the core's rule table):
/// long-lived tokens until a margin before `exp`, APNs/DeviceCheck tokens until their renewal age
/// (``coreDefaults()``), never sooner than Apple's floor for a new provider token, App Store
/// Server / External Purchase Server tokens new for every call unless
/// `ProviderOptions.reusePerRequestTokens` is set. Thread-safe; reading a fresh token never locks.
///
///     let apns = try TokenProvider(signer: signer, service: .apns, claims: Claims(issuer: "DEF123GHIJ"))
///     request.setValue("bearer \(try apns.token())", forHTTPHeaderField: "authorization")
public final class TokenProvider: Sendable {
    let native: DevTokenUniFFI.TokenProvider

    /// A provider for `service` and the claims template `claims` (leave `issuedAt`/`expiresAt`
    /// unset). Options left `nil` take the core's defaults.
    public init(
        signer: Signer, service: Service, claims: Claims, options: ProviderOptions? = nil, clock: ManualClock? = nil
    ) throws(DevTokenError) {
        let claims = try claims.native()
        native = try translatingErrors {
            try DevTokenUniFFI.TokenProvider(
                signer: signer.native, service: service, claims: claims, options: options, clock: clock)
        }
    }

    /// The token to send now.
    public func token() throws(DevTokenError) -> String {
        try translatingErrors { try native.token() }
    }

    /// Signs a new token now, after Apple refused one (the rule table's floor for APNs still holds).
    public func forceRefresh() throws(DevTokenError) -> String {
        try translatingErrors { try native.forceRefresh() }
    }

    /// The cached token while it is fresh, else `nil`: never signs, never waits.
    public func freshToken() -> String? { native.freshToken() }

    /// After Apple refused `rejected` (401/403): a new token if `rejected` is still the current
    /// one, else the current token, which another caller already renewed.
    public func refreshRejected(_ rejected: String) throws(DevTokenError) -> String {
        try translatingErrors { try native.refreshRejected(rejected: rejected) }
    }

    /// ``refreshRejected(_:)`` on devtoken's own queue.
    public func refreshRejected(_ rejected: String) async throws(DevTokenError) -> String {
        try await offloaded { [native] () throws(DevTokenError) in
            try translatingErrors { try native.refreshRejected(rejected: rejected) }
        }
    }

    /// When the current token expires, if one has been signed.
    public var expiresAt: Date? { native.expiresAt().map { date(unixSeconds: $0) } }

    /// The current token's claims as JSON, for logging.
    public var currentClaimsJSON: String? { native.currentClaimsJson() }

    /// How many tokens this provider has signed.
    public var signatureCount: Int64 { native.signatureCount() }

    /// The options in effect: the core's defaults where none were given.
    public var options: EffectiveProviderOptions { native.options() }

    /// The period of the shared `iat` grid in seconds when this provider is fleet-aligned
    /// (`ProviderOptions.aligned`; by default APNs and DeviceCheck), else nil.
    public var alignmentPeriodSecs: Int64? { native.alignmentPeriodSecs() }
}

/// The Maps Server API access token from `GET /v1/token`, cached and exchanged again before it
/// expires. One exchange per renewal however many tasks ask. The network calls block; from async
/// code use the `async` overloads, which run them off Swift's cooperative pool.
///
///     let maps = try MapsTokenProvider(signer: signer, claims: Claims(issuer: "DEF123GHIJ"))
///     let accessToken = try await maps.accessToken()
public final class MapsTokenProvider: Sendable {
    let native: DevTokenUniFFI.MapsTokenProvider

    /// A provider for Maps `claims` (issuer, optional origins; scope defaults to `server_api`).
    /// Options left `nil` take the core's defaults.
    public init(
        signer: Signer, claims: Claims, network: NetworkOptions? = nil, marginFraction: Double? = nil,
        minMargin: Duration? = nil, clock: ManualClock? = nil
    ) throws(DevTokenError) {
        let claims = try claims.native()
        let minMarginSecs = try wholeSeconds(minMargin, as: .minMargin)
        native = try translatingErrors {
            try DevTokenUniFFI.MapsTokenProvider(
                signer: signer.native, claims: claims, network: network, marginFraction: marginFraction,
                minMarginSecs: minMarginSecs, clock: clock)
        }
    }

    /// The access token to send to Maps Server API calls now (may block on an exchange).
    public func accessToken() throws(DevTokenError) -> String {
        try translatingErrors { try native.accessToken() }
    }

    /// ``accessToken()`` with the exchange run on devtoken's own queue, never blocking a thread
    /// of the cooperative pool (or an event loop).
    public func accessToken() async throws(DevTokenError) -> String {
        try await offloaded { [native] () throws(DevTokenError) in try translatingErrors { try native.accessToken() } }
    }

    /// The cached access token while it is fresh, else `nil`: never exchanges, never waits.
    public func freshAccessToken() -> String? { native.freshAccessToken() }

    /// Forgets the cached access token after an API call answered 401, as
    /// ``OAuthTokenProvider/invalidate(rejected:)`` does.
    @discardableResult
    public func invalidate(rejected: String? = nil) -> Bool {
        native.invalidate(rejected: rejected)
    }

    /// The signed Maps token that is exchanged.
    public func mapsToken() throws(DevTokenError) -> String {
        try translatingErrors { try native.mapsToken() }
    }

    /// When the current access token expires, if one has been obtained.
    public var expiresAt: Date? { native.expiresAt().map { date(unixSeconds: $0) } }

    /// How many exchanges succeeded.
    public var exchangeCount: Int64 { native.exchangeCount() }

    /// The options in effect: the core's defaults where none were given.
    public var options: EffectiveMapsOptions { native.options() }
}

/// An OAuth access token for Apple School Manager, Apple Business Manager or Apple Ads: a signed
/// client assertion (Apple Ads: client secret), renewed long before the rule table's limit,
/// exchanged with a `POST` to Apple's token endpoint; the access token is cached and exchanged
/// again a margin before `expires_in`, one exchange per renewal however many tasks ask. The network calls block;
/// from async code use the `async` overload, which runs them off Swift's cooperative pool.
///
///     let signer = try Signer(
///         contentsOf: URL(filePath: "private-key.pem"),
///         keyId: "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"
///     )
///     let ads = try OAuthTokenProvider(signer: signer, service: .appleAds, clientId: clientId, teamId: teamId)
///     request.setValue("Bearer \(try await ads.accessToken())", forHTTPHeaderField: "Authorization")
public final class OAuthTokenProvider: Sendable {
    let native: DevTokenUniFFI.OAuthTokenProvider

    /// The service whose token endpoint is called.
    public let service: Service

    /// The client id sent with each exchange (and as the assertion's `sub`).
    public let clientId: String

    /// A provider for `service`'s client `clientId` (`SCHOOLAPI.<uuid>`, `BUSINESSAPI.<uuid>`,
    /// `SEARCHADS.<uuid>`); `teamId` is Apple Ads' `iss` (School and Business Manager take none).
    /// The signer's key id is the portal's UUID. Options left `nil` take the core's defaults.
    public init(
        signer: Signer, service: Service, clientId: String, teamId: String? = nil, network: NetworkOptions? = nil,
        marginFraction: Double? = nil, minMargin: Duration? = nil, clock: ManualClock? = nil
    ) throws(DevTokenError) {
        let minMarginSecs = try wholeSeconds(minMargin, as: .minMargin)
        native = try translatingErrors {
            try DevTokenUniFFI.OAuthTokenProvider(
                signer: signer.native, service: service, clientId: clientId, teamId: teamId, network: network,
                marginFraction: marginFraction, minMarginSecs: minMarginSecs, clock: clock)
        }
        self.service = service
        self.clientId = clientId
    }

    /// The access token to send now (`Authorization: Bearer ...`); may block on an exchange.
    public func accessToken() throws(DevTokenError) -> String {
        try translatingErrors { try native.accessToken() }
    }

    /// ``accessToken()`` with the exchange run on devtoken's own queue, never blocking a thread
    /// of the cooperative pool (or an event loop).
    public func accessToken() async throws(DevTokenError) -> String {
        try await offloaded { [native] () throws(DevTokenError) in try translatingErrors { try native.accessToken() } }
    }

    /// Forgets the cached access token after an API call answered 401: only `rejected` when
    /// given (so many tasks invalidating the same token cause one exchange), else whatever is
    /// cached. Returns whether a token was forgotten.
    @discardableResult
    public func invalidate(rejected: String? = nil) -> Bool {
        native.invalidate(rejected: rejected)
    }

    /// The cached access token while it is fresh, else `nil`: never exchanges, never waits.
    public func freshAccessToken() -> String? { native.freshAccessToken() }

    /// The signed client assertion (Apple Ads: client secret) that is exchanged.
    public func assertion() throws(DevTokenError) -> String {
        try translatingErrors { try native.assertion() }
    }

    /// When the current access token expires, if one has been obtained.
    public var expiresAt: Date? { native.expiresAt().map { date(unixSeconds: $0) } }

    /// How many exchanges succeeded.
    public var exchangeCount: Int64 { native.exchangeCount() }

    /// The options in effect: the core's defaults where none were given.
    public var options: EffectiveMapsOptions { native.options() }
}

extension OAuthTokenProvider: CustomStringConvertible {
    /// The service and client id; never a token or assertion.
    public var description: String { "OAuthTokenProvider(service: \(service.name), clientId: \(clientId))" }
}
