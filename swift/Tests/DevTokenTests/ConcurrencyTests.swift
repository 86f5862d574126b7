import DevToken
import Foundation
import Testing

/// One `Signer` and one `TokenProvider` shared by 16 concurrent tasks.
@Suite struct ConcurrencyTests {
    @Test func sixteenTasksShareOneSigner() async throws {
        let signer = try Fixtures.vectorSigner()
        let expected = try signer.signToken(
            .appleMusic, claims: Claims(issuer: "DEF123GHIJ"), at: Fixtures.date(1_700_000_000))
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try signer.signToken(
                        .appleMusic, claims: Claims(issuer: "DEF123GHIJ"), at: Fixtures.date(1_700_000_000))
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(tokens.count == 16)
        #expect(Set(tokens) == [expected])
    }

    /// The cache's promise, and nothing that depends on which task runs first: with nothing
    /// cached every task waits for the one signature; across a renewal exactly one task signs
    /// while the others may keep the old token (stale-while-revalidate: still valid, so handing
    /// it out is correct); once the renewal is over every caller gets the new token.
    @Test func sixteenTasksGetOneSignaturePerRenewal() async throws {
        // A point of APNs' 40-minute grid, where the aligned provider's periods start.
        let clock = ManualClock(now: 1_699_999_200)
        let provider = try TokenProvider(
            signer: Fixtures.vectorSigner(), service: .apns, claims: Claims(issuer: "DEF123GHIJ"), clock: clock)
        let first = try await Self.tokens(from: provider)
        #expect(Set(first).count == 1, "with nothing cached, every task waits for the one signature")
        #expect(provider.signatureCount == 1)
        var current = try #require(first.first)
        clock.advance(secs: 30 * 60)
        #expect(Set(try await Self.tokens(from: provider)) == [current])
        #expect(provider.signatureCount == 1)
        // Three renewals, each 41 minutes after the current token was signed: past the 40-minute
        // mark, the old token still inside its hour.
        for round in 1...3 {
            clock.advance(secs: round == 1 ? 11 * 60 : 41 * 60)
            let now = clock.now()
            #expect(try Self.validity(of: current).contains(now), "round \(round): the old token is still valid")
            let seen = Set(try await Self.tokens(from: provider))
            #expect(
                provider.signatureCount == Int64(1 + round),
                "round \(round): one signature, however many tasks ask")
            // After the tasks have joined, the renewal is over: every caller gets the new token.
            let after = Set(try await Self.tokens(from: provider))
            #expect(after.count == 1, "round \(round)")
            let renewed = try #require(after.first)
            #expect(renewed != current, "round \(round)")
            #expect(try Self.validity(of: renewed).contains(now), "round \(round)")
            // During the renewal: the old token or the new one, and the renewing task got the new one.
            #expect(seen.isSubset(of: [current, renewed]), "round \(round): \(seen.count) distinct tokens")
            #expect(seen.contains(renewed), "round \(round): the task that signed returns the new token")
            #expect(provider.signatureCount == Int64(1 + round), "round \(round)")
            current = renewed
        }
    }

    /// Every token 16 concurrent tasks read from `provider`, ten reads each.
    static func tokens(from provider: TokenProvider) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<16 {
                group.addTask { try (0..<10).map { _ in try provider.token() } }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
    }

    struct Times: Decodable {
        let iat: Int64
        let exp: Int64?
    }

    /// The seconds in which `token` may be used: from its `iat` up to (not including) its `exp`,
    /// or for an APNs provider token (no `exp`), the hour Apple accepts it.
    static func validity(of token: String) throws -> Range<Int64> {
        let times = try JSONDecoder().decode(Times.self, from: Data(decodeToken(token).claimsJson.utf8))
        return times.iat..<(times.exp ?? times.iat + 3600)
    }
}
