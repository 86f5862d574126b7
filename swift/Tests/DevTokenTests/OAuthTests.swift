import DevToken
import Foundation
import Testing

/// The portal's key id (a UUID) and a client UUID, as the OAuth services take them.
enum OAuthIDs {
    static let keyId = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"
    static let uuid = "27478e71-3bb0-4588-998c-182e2b405577"

    /// The client id and (Apple Ads) team id `service` wants.
    static func ids(_ service: Service) -> (clientId: String, teamId: String?) {
        switch service {
        case .schoolManager: ("SCHOOLAPI.\(uuid)", nil)
        case .businessManager: ("BUSINESSAPI.\(uuid)", nil)
        default: ("SEARCHADS.\(uuid)", "SEARCHADS.\(uuid)")
        }
    }

    /// The claims of an assertion.
    struct AssertionClaims: Decodable, Sendable {
        let iss: String?
        let sub: String?
        let aud: String?
        let jti: String?
        let iat: Int64
        let exp: Int64
    }

    /// `token`'s claims, decoded by devtoken (the signature is checked elsewhere).
    static func claims(_ token: String) throws -> AssertionClaims {
        try JSONDecoder().decode(AssertionClaims.self, from: Data(decodeToken(token).claimsJson.utf8))
    }
}

/// Apple School Manager, Apple Business Manager and Apple Ads: the client assertion exchanged at
/// `tests/independent/apple_stand_in.py` on loopback, which checks the form fields Apple documents and
/// verifies the assertion with pyca/cryptography (independent of devtoken). Needs a Python with
/// `cryptography`, found as ``NetworkTests`` finds it.
@Suite(
    .serialized,
    .enabled(
        if: AppleStandIn.python != nil,
        "no Python with cryptography: set DEVTOKEN_TEST_PYTHON or run tests/run-all.sh"))
struct OAuthTests {
    static let signer: Signer = {
        do {
            return try Signer.generate(keyId: OAuthIDs.keyId)
        } catch {
            fatalError("cannot generate a key: \(error)")
        }
    }()

    /// The OAuth stand-in accepting `signer`'s assertions, serving `script` ([status, body,
    /// headers] answers) first.
    static func standIn(script: [(Int, String, [String: String])] = []) throws -> AppleStandIn {
        let json = try JSONSerialization.data(withJSONObject: script.map { [$0.0, $0.1, $0.2] as [Any] })
        return try AppleStandIn(
            accepting: signer.publicKeyPEM,
            arguments: ["--script", String(decoding: json, as: UTF8.self)])
    }

    static func provider(
        _ service: Service, at apple: AppleStandIn, clock: ManualClock, signer: Signer = OAuthTests.signer
    ) throws -> OAuthTokenProvider {
        let (clientId, teamId) = OAuthIDs.ids(service)
        return try OAuthTokenProvider(
            signer: signer, service: service, clientId: clientId, teamId: teamId,
            network: NetworkOptions(baseUrl: apple.baseURL), clock: clock)
    }

    static func manualClock() -> ManualClock {
        ManualClock(now: Int64(Date().timeIntervalSince1970))
    }

    @Test(arguments: [Service.schoolManager, .businessManager, .appleAds])
    func eachServiceExchangesOnceAndCachesUntilTheMargin(_ service: Service) async throws {
        let apple = try Self.standIn()
        defer { apple.stop() }
        let clock = Self.manualClock()
        let oauth = try Self.provider(service, at: apple, clock: clock)
        #expect(oauth.expiresAt == nil)
        let first = try await oauth.accessToken()
        #expect(first == "oauth-1")
        #expect(try Self.blockingAccessToken(oauth) == first)
        let concurrent = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try await oauth.accessToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(concurrent == [first])
        #expect(oauth.exchangeCount == 1)
        #expect(oauth.expiresAt == Fixtures.date(clock.now() + 3600))

        let (clientId, teamId) = OAuthIDs.ids(service)
        let assertion = try oauth.assertion()
        #expect(try decodeToken(assertion).headerJson.contains("\"kid\":\"\(OAuthIDs.keyId)\""))
        let claims = try OAuthIDs.claims(assertion)
        #expect(claims.sub == clientId)
        #expect(claims.iss == teamId ?? clientId)
        #expect((claims.jti != nil) == (service != .appleAds))
        let audience = service == .appleAds
            ? "https://appleid.apple.com" : "https://account.apple.com/auth/oauth2/v2/token"
        #expect(claims.aud == audience)

        // Renewed 10 % of expires_in (360 s) before it expires, not sooner.
        clock.advance(secs: 3600 - 361)
        #expect(try await oauth.accessToken() == first)
        clock.advance(secs: 1)
        #expect(try await oauth.accessToken() == "oauth-2")
        #expect(oauth.exchangeCount == 2)
        #expect(try oauth.assertion() == assertion, "the assertion outlives the access token")
    }

    /// The blocking overload, as code outside Swift concurrency calls it.
    static func blockingAccessToken(_ oauth: OAuthTokenProvider) throws -> String {
        try oauth.accessToken()
    }

    @Test func sixteenTasksAcrossARenewalMakeOneExchange() async throws {
        let apple = try Self.standIn()
        defer { apple.stop() }
        let clock = Self.manualClock()
        let oauth = try Self.provider(.schoolManager, at: apple, clock: clock)
        #expect(try await oauth.accessToken() == "oauth-1")
        // Inside the 360 s margin, "oauth-1" still valid: one task exchanges, the others may
        // keep "oauth-1" meanwhile.
        clock.advance(secs: 3500)
        #expect(try #require(oauth.expiresAt) > Fixtures.date(clock.now()))
        let seen = try await withThrowingTaskGroup(of: Set<String>.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var seen = Set<String>()
                    for _ in 0..<10 {
                        let token = try await oauth.accessToken()
                        seen.insert(token)
                    }
                    return seen
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.formUnion($1) }
        }
        #expect(seen.isSubset(of: ["oauth-1", "oauth-2"]), "\(seen)")
        #expect(seen.contains("oauth-2"), "the task that exchanged returns the new token")
        #expect(oauth.exchangeCount == 2, "one exchange, however many tasks ask")
        // The renewal is over once the tasks have joined: every caller gets the new token ("oauth-3"
        // would be cached had a second renewal been made).
        let after = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try await oauth.accessToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(after == ["oauth-2"])
        #expect(oauth.exchangeCount == 2)
    }

    @Test func invalidatingTheRejectedTokenFromSixteenTasksForcesExactlyOneExchange() async throws {
        let apple = try Self.standIn()
        defer { apple.stop() }
        let oauth = try Self.provider(.businessManager, at: apple, clock: Self.manualClock())
        let rejected = try await oauth.accessToken()
        let outcomes = try await withThrowingTaskGroup(of: (Bool, String).self) { group in
            for _ in 0..<16 {
                group.addTask {
                    let forgot = oauth.invalidate(rejected: rejected)
                    return (forgot, try await oauth.accessToken())
                }
            }
            return try await group.reduce(into: [(Bool, String)]()) { $0.append($1) }
        }
        #expect(outcomes.count { $0.0 } == 1, "only one task forgets the rejected token")
        #expect(Set(outcomes.map(\.1)) == ["oauth-2"])
        #expect(oauth.exchangeCount == 2)
        #expect(!oauth.invalidate(rejected: "oauth-1"), "an old token does not evict the new one")
        #expect(oauth.invalidate())
        #expect(!oauth.invalidate())
        #expect(try await oauth.accessToken() == "oauth-3")
    }

    @Test func anAssertionNearItsOneHundredEightyDaysIsRenewedBeforeUse() async throws {
        let apple = try Self.standIn()
        defer { apple.stop() }
        let clock = Self.manualClock()
        let oauth = try Self.provider(.schoolManager, at: apple, clock: clock)
        _ = try await oauth.accessToken()
        let first = try OAuthIDs.claims(oauth.assertion())
        clock.advance(secs: 170 * 86_400)
        #expect(try await oauth.accessToken() == "oauth-2")
        let second = try OAuthIDs.claims(oauth.assertion())
        #expect(second.jti != nil && second.jti != first.jti)
        #expect(second.iat >= clock.now() - 60)
        #expect(second.exp - clock.now() > 170 * 86_400)
    }

    @Test func invalidClientIsAppleRejectedWithApplesText() async throws {
        let apple = try Self.standIn(script: [
            (400, #"{"error":"invalid_client","error_description":"client authentication failed"}"#, [:])
        ])
        defer { apple.stop() }
        let oauth = try Self.provider(.appleAds, at: apple, clock: Self.manualClock())
        let error = await #expect(throws: DevTokenError.self) { try await oauth.accessToken() }
        guard case .appleRejected(let status, let appleMessage, _, let findings, let message) = error else {
            Issue.record("not appleRejected: \(String(describing: error))")
            return
        }
        #expect(error?.kind == "apple_rejected")
        #expect(status == 400)
        #expect(appleMessage == "invalid_client: client authentication failed")
        #expect(message.contains("invalid_client: client authentication failed"))
        // The assertion itself was good: inspect finds nothing wrong with it.
        #expect(!findings.contains { $0.level == .error }, "\(findings)")
        #expect(try !message.contains(oauth.assertion()))

        // The stand-in's own check: an assertion signed by another key is refused.
        let stranger = try Self.provider(
            .schoolManager, at: apple, clock: Self.manualClock(), signer: Signer.generate(keyId: OAuthIDs.keyId))
        let refused = await #expect(throws: DevTokenError.self) { try await stranger.accessToken() }
        guard case .appleRejected(400, let strangerMessage, _, _, _) = refused else {
            Issue.record("not a 400 appleRejected: \(String(describing: refused))")
            return
        }
        #expect(strangerMessage == "invalid_client: bad signature")
        #expect(stranger.exchangeCount == 0)
    }

    @Test func otherAnswersAreTyped() async throws {
        let apple = try Self.standIn(script: [
            (401, #"{"error":"invalid_client"}"#, [:]),
            (429, #"{"error":"rate_limited"}"#, ["Retry-After": "30"]),
            (500, "down", [:]), (500, "down", [:]), (500, "down", [:]),
            (200, #"{"access_token":"x","token_type":"Bearer"}"#, [:]),
            (500, "down", [:]),
        ])
        defer { apple.stop() }
        let clock = Self.manualClock()
        let unauthorized = await #expect(throws: DevTokenError.self) {
            try await Self.provider(.schoolManager, at: apple, clock: clock).accessToken()
        }
        guard case .appleRejected(401, "invalid_client", _, _, _) = unauthorized else {
            Issue.record("not a 401 appleRejected: \(String(describing: unauthorized))")
            return
        }
        let quota = await #expect(throws: DevTokenError.self) {
            try await Self.provider(.businessManager, at: apple, clock: clock).accessToken()
        }
        guard case .quotaExceeded(retryAfterSeconds: 30, _) = quota else {
            Issue.record("not quotaExceeded with Retry-After 30: \(String(describing: quota))")
            return
        }
        let network = await #expect(throws: DevTokenError.self) {
            try await Self.provider(.appleAds, at: apple, clock: clock).accessToken()
        }
        guard case .network(attempts: 3, _) = network else {
            Issue.record("not a network error after 3 attempts: \(String(describing: network))")
            return
        }
        let malformed = await #expect(throws: DevTokenError.self) {
            try await Self.provider(.schoolManager, at: apple, clock: clock).accessToken()
        }
        #expect(malformed?.kind == "malformed_response")
        guard case .malformedResponse(status: 200, _) = malformed else {
            Issue.record("expected malformedResponse with the HTTP status, got \(String(describing: malformed))")
            return
        }
        // One 500, then the retry (request 8) gets the token.
        #expect(try await Self.provider(.appleAds, at: apple, clock: clock).accessToken() == "oauth-8")
    }
}

/// What needs no token endpoint: identifiers refused before any request, options, `jti`, and
/// no secret in `description`.
@Suite struct OAuthProviderTests {
    static let closedPort = NetworkOptions(baseUrl: "http://127.0.0.1:9")

    static func refused(
        _ service: Service, clientId: String, teamId: String?, keyId: String = OAuthIDs.keyId
    ) throws -> DevTokenError? {
        let signer = try Signer.generate(keyId: keyId)
        return #expect(throws: DevTokenError.self) {
            try OAuthTokenProvider(
                signer: signer, service: service, clientId: clientId, teamId: teamId, network: closedPort)
        }
    }

    @Test func badIdentifiersFailWithTheCoresFieldAndRule() throws {
        let uuid = OAuthIDs.uuid
        let bare = try Self.refused(.appleAds, clientId: uuid, teamId: "SEARCHADS.\(uuid)")
        guard case .invalidClaim("sub", "format", let message) = bare else {
            Issue.record("not invalidClaim sub format: \(String(describing: bare))")
            return
        }
        #expect(message.contains("bare UUID"), "\(message)")
        let swapped = try Self.refused(.schoolManager, clientId: "BUSINESSAPI.\(uuid)", teamId: nil)
        #expect(swapped?.kind == "invalid_claim")
        #expect(swapped?.field == "iss" && swapped?.rule == "format")
        let noTeam = try Self.refused(.appleAds, clientId: "SEARCHADS.\(uuid)", teamId: nil)
        #expect(noTeam?.field == "iss" && noTeam?.rule == "required")
        let teamForSchool = try Self.refused(.schoolManager, clientId: "SCHOOLAPI.\(uuid)", teamId: "SEARCHADS.\(uuid)")
        #expect(teamForSchool?.kind == "invalid_option")
        #expect(teamForSchool?.field == "team_id" && teamForSchool?.rule == "not_applicable")
        let tenCharacterKid = try Self.refused(
            .appleAds, clientId: "SEARCHADS.\(uuid)", teamId: "SEARCHADS.\(uuid)", keyId: "ABC123DEFG")
        #expect(tenCharacterKid?.field == "kid" && tenCharacterKid?.rule == "format")
        let music = try Self.refused(.appleMusic, clientId: "SEARCHADS.\(uuid)", teamId: nil)
        #expect(music?.kind == "invalid_option")
        #expect(music?.field == "service" && music?.rule == "not_applicable")
    }

    @Test func optionsLeftOutAreTheCoresAndDescriptionShowsNoSecret() throws {
        let signer = try Signer.generate(keyId: OAuthIDs.keyId)
        let (clientId, teamId) = OAuthIDs.ids(.appleAds)
        let oauth = try OAuthTokenProvider(signer: signer, service: .appleAds, clientId: clientId, teamId: teamId)
        #expect(oauth.options.marginFraction == coreDefaults().mapsMarginFraction)
        #expect(oauth.options.minMarginSecs == coreDefaults().mapsMinMarginSecs)
        let tuned = try OAuthTokenProvider(
            signer: signer, service: .appleAds, clientId: clientId, teamId: teamId, marginFraction: 0.5,
            minMargin: .seconds(120))
        #expect(tuned.options.marginFraction == 0.5)
        #expect(tuned.options.minMarginSecs == 120)
        let badMargin = #expect(throws: DevTokenError.self) {
            try OAuthTokenProvider(
                signer: signer, service: .appleAds, clientId: clientId, teamId: teamId, marginFraction: 2)
        }
        #expect(badMargin?.kind == "invalid_option")
        #expect(oauth.description == "OAuthTokenProvider(service: apple-ads, clientId: \(clientId))")
        #expect(try !oauth.description.contains(oauth.assertion()))
        #expect(oauth.expiresAt == nil)
    }

    @Test func schoolAndBusinessAssertionsCarryAFreshJtiUnlessOneIsGiven() throws {
        let signer = try Signer.generate(keyId: OAuthIDs.keyId)
        let claims = Claims(issuer: "SCHOOLAPI.\(OAuthIDs.uuid)")
        let first = try OAuthIDs.claims(signer.signToken(.schoolManager, claims: claims))
        let second = try OAuthIDs.claims(signer.signToken(.schoolManager, claims: claims))
        let jti = try #require(first.jti)
        #expect(UUID(uuidString: jti) != nil, "\(jti)")
        #expect(second.jti != jti)
        #expect(first.sub == "SCHOOLAPI.\(OAuthIDs.uuid)")
        var given = claims
        given.jwtId = "request-42"
        #expect(try OAuthIDs.claims(signer.signToken(.schoolManager, claims: given)).jti == "request-42")
        let ads = Claims(issuer: "SEARCHADS.\(OAuthIDs.uuid)", subject: "SEARCHADS.\(OAuthIDs.uuid)", jwtId: "x")
        let refused = #expect(throws: DevTokenError.self) { try signer.signToken(.appleAds, claims: ads) }
        #expect(refused?.field == "jti" && refused?.rule == "unsupported_claim")
    }
}
