import DevToken
import DevTokenURLSession
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `URLSession.data(for:authorizedBy:)` against the stand-in for Apple (``AppleStandIn``), whose
/// API paths answer 401 to a token it neither issued nor can verify (or to every token with
/// `--reject-all`) and count the requests per path.
@Suite(
    .enabled(
        if: AppleStandIn.python != nil,
        "no Python with cryptography: set DEVTOKEN_TEST_PYTHON or run tests/run-all.sh"))
struct URLSessionTests {
    /// A first exchange that answers an access token the API refuses.
    static let staleFirst = ["--script", #"[[200, "{\"accessToken\": \"stale\", \"expiresInSeconds\": 1800}", {}]]"#]

    static func standIn(_ arguments: [String] = []) throws -> AppleStandIn {
        try AppleStandIn(accepting: Fixtures.vectorSigner().publicKeyPEM, arguments: arguments)
    }

    static func maps(at apple: AppleStandIn) throws -> MapsTokenProvider {
        try MapsTokenProvider(
            signer: Fixtures.vectorSigner(), claims: Claims(issuer: "DEF123GHIJ"),
            network: NetworkOptions(baseUrl: apple.baseURL))
    }

    /// The status of one API call through `session` with `provider`'s token.
    static func status(
        _ session: URLSession, _ apple: AppleStandIn, _ provider: some BearerTokenSource, query: Int = 0
    ) async throws -> Int {
        let url = try #require(URL(string: "\(apple.baseURL)/v1/geocode?q=\(query)"))
        let (_, response) = try await session.data(for: URLRequest(url: url), authorizedBy: provider)
        return try #require(response as? HTTPURLResponse).statusCode
    }

    static func session() -> URLSession { URLSession(configuration: .ephemeral) }

    @Test func aHundredConcurrentRequestsShareOneExchange() async throws {
        let apple = try Self.standIn()
        defer { apple.stop() }
        let maps = try Self.maps(at: apple)
        let session = Self.session()
        defer { session.finishTasksAndInvalidate() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for query in 0..<100 { group.addTask { try await Self.status(session, apple, maps, query: query) } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 100))
        #expect(maps.exchangeCount == 1)
        let paths = try await apple.paths()
        #expect(paths["/v1/token"] == 1)
        #expect(paths["/v1/geocode"] == 100)
    }

    @Test func aRefusedAccessTokenIsReplacedOnceAndTheRequestSentOnceMore() async throws {
        let apple = try Self.standIn(Self.staleFirst)
        defer { apple.stop() }
        let maps = try Self.maps(at: apple)
        let session = Self.session()
        defer { session.finishTasksAndInvalidate() }
        #expect(try await Self.status(session, apple, maps) == 200)
        #expect(maps.exchangeCount == 2)
        let paths = try await apple.paths()
        #expect(paths["/v1/token"] == 2)
        #expect(paths["/v1/geocode"] == 2)
    }

    /// Twenty tasks, the first of which sends the refused token: one new exchange for all, and
    /// each task that got a 401 sends its request exactly once more.
    @Test func tasksSharingARefusedAccessTokenCauseOneExchange() async throws {
        let apple = try Self.standIn(Self.staleFirst)
        defer { apple.stop() }
        let maps = try Self.maps(at: apple)
        #expect(try await maps.accessToken() == "stale")
        let counting = CountingSource(source: maps)
        let session = Self.session()
        defer { session.finishTasksAndInvalidate() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for query in 0..<20 { group.addTask { try await Self.status(session, apple, counting, query: query) } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 20))
        #expect(maps.exchangeCount == 2)
        let paths = try await apple.paths()
        #expect(paths["/v1/token"] == 2)
        #expect(counting.replaced.value >= 1)
        #expect(paths["/v1/geocode"] == 20 + counting.replaced.value)
    }

    @Test func aSecondUnauthorizedReachesTheCaller() async throws {
        let apple = try Self.standIn(["--reject-all"])
        defer { apple.stop() }
        let maps = try Self.maps(at: apple)
        let session = Self.session()
        defer { session.finishTasksAndInvalidate() }
        #expect(try await Self.status(session, apple, maps) == 401)
        let paths = try await apple.paths()
        #expect(paths["/v1/geocode"] == 2)
        #expect(paths["/v1/token"] == 2)
    }

    @Test func aTokenProviderReplacesARefusedTokenOnce() async throws {
        let apple = try Self.standIn(["--reject-all"])
        defer { apple.stop() }
        let music = try TokenProvider(
            signer: Fixtures.vectorSigner(), service: .appleMusic, claims: Claims(issuer: "DEF123GHIJ"))
        let refused = try music.token()
        let counting = CountingSource(source: music)
        let session = Self.session()
        defer { session.finishTasksAndInvalidate() }
        #expect(try await Self.status(session, apple, counting) == 401)
        #expect(counting.replaced.value == 1)
        #expect(try await apple.paths()["/v1/geocode"] == 2)
        let replacement = try #require(music.freshToken())
        #expect(replacement != refused)
        // Accepted: the cached replacement is sent, nothing more signed.
        let signatures = music.signatureCount
        let accepting = try Self.standIn()
        defer { accepting.stop() }
        #expect(try await Self.status(session, accepting, music) == 200)
        #expect(music.signatureCount == signatures)
        #expect(music.freshToken() == replacement)
    }

    @Test func anOAuthProviderReplacesARefusedTokenOnce() async throws {
        let apple = try AppleStandIn(accepting: OAuthTests.signer.publicKeyPEM, arguments: ["--reject-all"])
        defer { apple.stop() }
        let (clientId, teamId) = OAuthIDs.ids(.appleAds)
        let ads = try OAuthTokenProvider(
            signer: OAuthTests.signer, service: .appleAds, clientId: clientId, teamId: teamId,
            network: NetworkOptions(baseUrl: apple.baseURL))
        let session = Self.session()
        defer { session.finishTasksAndInvalidate() }
        #expect(try await Self.status(session, apple, ads) == 401)
        #expect(ads.exchangeCount == 2)
        let paths = try await apple.paths()
        #expect(paths["/auth/oauth2/token"] == 2)
        #expect(paths["/v1/geocode"] == 2)
    }

    @Test func cancellingATaskWaitingOnAnExchangeLeavesTheProviderUsable() async throws {
        let apple = try Self.standIn(["--exchange-delay", "1"])
        defer { apple.stop() }
        let maps = try Self.maps(at: apple)
        let session = Self.session()
        defer { session.finishTasksAndInvalidate() }
        let waiting = Task { try await Self.status(session, apple, maps) }
        // Until the stand-in has the exchange (it answers after the delay).
        while try await apple.paths()["/v1/token"] == nil {
            try await Task.sleep(for: .milliseconds(5))
        }
        waiting.cancel()
        _ = await waiting.result
        #expect(try await Self.status(session, apple, maps) == 200)
        #expect(maps.exchangeCount == 1)
        #expect(try await apple.paths()["/v1/token"] == 1)
    }
}

/// Passes calls through to `source`, counting the replacements asked for.
struct CountingSource<Source: BearerTokenSource>: BearerTokenSource {
    let source: Source
    let replaced = Counter()

    func currentToken() async throws(DevTokenError) -> String { try await source.currentToken() }

    func token(replacing rejected: String) async throws(DevTokenError) -> String {
        replaced.increment()
        return try await source.token(replacing: rejected)
    }
}
