import DevTokenUniFFI
import Foundation

/// A cached, self-renewing token following the service's reuse rule: long-lived tokens until a
/// margin before `exp`, APNs/DeviceCheck tokens renewed after 40 minutes (never within 20), App
/// Store Server / External Purchase Server tokens new for every call unless
/// `ProviderOptions.reusePerRequestTokens` is set. Thread-safe; reading a fresh token never locks.
///
///     let apns = try TokenProvider(signer: signer, service: .apns, claims: Claims(issuer: "DEF123GHIJ"))
///     request.headerFields[.authorization] = "bearer \(try apns.token())"
public final class TokenProvider: Sendable {
    private let native: DevTokenUniFFI.TokenProvider

    /// A provider for `service` and the claims template `claims` (leave `issuedAt`/`expiresAt`
    /// unset). Options left `nil` take the core's defaults.
    public init(
        signer: Signer, service: Service, claims: Claims, options: ProviderOptions? = nil, clock: ManualClock? = nil
    ) throws(DevTokenError) {
        let claims = claims.native
        native = try translatingErrors {
            try DevTokenUniFFI.TokenProvider(
                signer: signer.native, service: service, claims: claims, options: options, clock: clock)
        }
    }

    /// The token to send now.
    public func token() throws(DevTokenError) -> String {
        try translatingErrors { try native.token() }
    }

    /// Signs a new token now, after Apple refused one (the APNs 20-minute floor still holds).
    public func forceRefresh() throws(DevTokenError) -> String {
        try translatingErrors { try native.forceRefresh() }
    }

    /// When the current token expires, if one has been signed.
    public var expiresAt: Date? { native.expiresAt().map { date(unixSeconds: $0) } }

    /// The current token's claims as JSON, for logging.
    public var currentClaimsJSON: String? { native.currentClaimsJson() }

    /// How many tokens this provider has signed.
    public var signatureCount: Int64 { native.signatureCount() }

    /// The options in effect: the core's defaults where none were given.
    public var options: EffectiveProviderOptions { native.options() }
}

/// The Maps Server API access token from `GET /v1/token`, cached and exchanged again before it
/// expires. One exchange per renewal however many tasks ask. The network calls block; from async
/// code use the `async` overloads, which run them off Swift's cooperative pool.
///
///     let maps = try MapsTokenProvider(signer: signer, claims: Claims(issuer: "DEF123GHIJ"))
///     let accessToken = try await maps.accessToken()
public final class MapsTokenProvider: Sendable {
    private let native: DevTokenUniFFI.MapsTokenProvider

    /// A provider for Maps `claims` (issuer, optional origins; scope defaults to `server_api`).
    /// Options left `nil` take the core's defaults.
    public init(
        signer: Signer, claims: Claims, network: NetworkOptions? = nil, marginFraction: Double? = nil,
        minMargin: Duration? = nil, clock: ManualClock? = nil
    ) throws(DevTokenError) {
        let claims = claims.native
        native = try translatingErrors {
            try DevTokenUniFFI.MapsTokenProvider(
                signer: signer.native, claims: claims, network: network, marginFraction: marginFraction,
                minMarginSecs: minMargin.map(wholeSeconds), clock: clock)
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
