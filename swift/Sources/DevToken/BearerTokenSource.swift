import Foundation

/// Where a bearer token comes from (`URLSession.data(for:authorizedBy:)` in the module
/// DevTokenURLSession takes one):
/// ``TokenProvider``, ``MapsTokenProvider`` and ``OAuthTokenProvider``.
public protocol BearerTokenSource: Sendable {
    /// The token to send now; a fresh cached one without leaving the calling task's thread.
    func currentToken() async throws(DevTokenError) -> String

    /// The token to send instead of `rejected`, which the API answered 401 to. However many
    /// tasks report the same token, it is replaced once.
    func token(replacing rejected: String) async throws(DevTokenError) -> String
}

extension TokenProvider: BearerTokenSource {
    /// The fresh cached token at once, else ``token()`` on devtoken's own queue (an external
    /// signer may block).
    public func currentToken() async throws(DevTokenError) -> String {
        if let token = freshToken() { return token }
        return try await offloaded { [self] () throws(DevTokenError) in try token() }
    }

    public func token(replacing rejected: String) async throws(DevTokenError) -> String {
        try await refreshRejected(rejected)
    }
}

extension MapsTokenProvider: BearerTokenSource, ExchangedAccessToken {
    public func currentToken() async throws(DevTokenError) -> String { try await currentAccessToken() }

    public func token(replacing rejected: String) async throws(DevTokenError) -> String {
        try await accessToken(replacing: rejected)
    }
}

extension OAuthTokenProvider: BearerTokenSource, ExchangedAccessToken {
    public func currentToken() async throws(DevTokenError) -> String { try await currentAccessToken() }

    public func token(replacing rejected: String) async throws(DevTokenError) -> String {
        try await accessToken(replacing: rejected)
    }
}

/// A provider whose access token comes from an exchange: Maps and OAuth.
protocol ExchangedAccessToken: Sendable {
    func freshAccessToken() -> String?
    func invalidate(rejected: String?) -> Bool
    func accessToken() async throws(DevTokenError) -> String
}

extension ExchangedAccessToken {
    /// The fresh cached access token at once, else the exchange off the cooperative pool.
    func currentAccessToken() async throws(DevTokenError) -> String {
        if let token = freshAccessToken() { return token }
        return try await accessToken()
    }

    /// Forgets `rejected` (if still cached) and returns the access token to send instead.
    func accessToken(replacing rejected: String) async throws(DevTokenError) -> String {
        _ = invalidate(rejected: rejected)
        return try await accessToken()
    }
}
