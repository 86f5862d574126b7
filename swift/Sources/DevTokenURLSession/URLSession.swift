// URLSession with devtoken's bearer tokens: a module of its own, so a program that links the
// Swift runtime statically (`--static-swift-stdlib`) without FoundationNetworking keeps
// linking DevToken alone.

import DevToken
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension URLSession {
    /// Sends `request` with `Authorization: Bearer <token>` from `provider`. On a 401 the
    /// refused token is replaced (once for all tasks that sent it) and the request sent once
    /// more; a second 401 is returned as it is.
    public func data(for request: URLRequest, authorizedBy provider: some BearerTokenSource) async throws
        -> (Data, URLResponse)
    {
        let token = try await provider.currentToken()
        // A cancelled task starts no request (FoundationNetworking on Linux can trap on one).
        try Task.checkCancellation()
        let answer = try await data(for: request.authorized(by: token))
        guard (answer.1 as? HTTPURLResponse)?.statusCode == 401 else { return answer }
        let replacement = try await provider.token(replacing: token)
        return try await data(for: request.authorized(by: replacement))
    }
}

extension URLRequest {
    fileprivate func authorized(by token: String) -> URLRequest {
        var request = self
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        return request
    }
}
