import DevTokenUniFFI
import Foundation

/// Apple's clock against the local one: `offsetMillis` (negative: the local clock is ahead),
/// `uncertaintyMillis` either way, `measuredAt` (local UNIX seconds).
public typealias ClockOffset = DevTokenUniFFI.ClockOffset

/// One line of ``doctor(keyAt:service:claims:keyId:offline:network:)``: `name`, `status`,
/// `message`, and for a warning or an error a one-line `fix`.
public typealias DoctorCheck = DevTokenUniFFI.DoctorCheck

/// How a ``DoctorCheck`` came out: `.ok`, `.warning`, `.error` or `.skipped`.
public typealias CheckStatus = DevTokenUniFFI.CheckStatus

/// Measures the local clock's offset from Apple's with one request (`network.baseUrl` picks
/// the host). Blocks on the network: from async code use the `async` overload.
public func measureClockOffset(network: NetworkOptions? = nil) throws(DevTokenError) -> ClockOffset {
    try translatingErrors { try DevTokenUniFFI.measureClockOffset(network: network) }
}

/// ``measureClockOffset(network:)`` on devtoken's own queue.
public func measureClockOffset(network: NetworkOptions? = nil) async throws(DevTokenError) -> ClockOffset {
    try await offloaded { () throws(DevTokenError) in try measureClockOffset(network: network) }
}

/// The core's setup checklist for `service` with the key file at `url` (key file, key id,
/// identifiers, clock, a token signed and inspected, Apple's verdict where a test endpoint
/// exists), to run at startup and log. `offline` skips the clock and probe checks.
public func doctor(
    keyAt url: URL, service: Service, claims: Claims, keyId: String? = nil, offline: Bool = false,
    network: NetworkOptions? = nil
) throws(DevTokenError) -> [DoctorCheck] {
    let claims = try claims.native()
    return try translatingErrors {
        try DevTokenUniFFI.doctor(
            keyPath: url.path(percentEncoded: false), service: service, claims: claims, keyId: keyId,
            offline: offline, network: network)
    }
}

extension TokenProvider {
    /// Records an offset of Apple's clock measured elsewhere (``measureClockOffset(network:)``);
    /// later tokens are back-dated when the local clock is ahead by more than the clock skew
    /// covers. Returns whether the correction changed.
    @discardableResult
    public func observeClockOffset(_ offset: ClockOffset) -> Bool { native.observeClockOffset(offset: offset) }

    /// The last offset of Apple's clock observed, if any.
    public var clockOffset: ClockOffset? { native.clockOffset() }

    /// How many tokens were back-dated by an observed clock offset.
    public var clockCorrections: Int64 { native.clockCorrections() }
}

extension MapsTokenProvider {
    /// The offset of Apple's clock measured at the last exchange, if any.
    public var clockOffset: ClockOffset? { native.clockOffset() }

    /// How many Maps tokens were back-dated by a measured clock offset.
    public var clockCorrections: Int64 { native.clockCorrections() }
}

extension OAuthTokenProvider {
    /// The offset of Apple's clock measured at the last exchange, if any.
    public var clockOffset: ClockOffset? { native.clockOffset() }

    /// How many assertions were back-dated by a measured clock offset.
    public var clockCorrections: Int64 { native.clockCorrections() }
}
