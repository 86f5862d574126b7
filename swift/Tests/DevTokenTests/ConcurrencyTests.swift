import DevToken
import Foundation
import Testing

/// One `Signer` and one `TokenProvider` shared by 16 concurrent tasks.
@Suite struct ConcurrencyTests {
    @Test func sixteenTasksShareOneSigner() async throws {
        let signer = try Fixtures.vectorSigner()
        let expected = try signer.signToken(.appleMusic, claims: Claims(issuer: "DEF123GHIJ"), at: Fixtures.date(1_700_000_000))
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try signer.signToken(.appleMusic, claims: Claims(issuer: "DEF123GHIJ"), at: Fixtures.date(1_700_000_000))
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(tokens.count == 16)
        #expect(Set(tokens) == [expected])
    }

    @Test func sixteenTasksGetOneSignaturePerRenewal() async throws {
        let clock = ManualClock(now: 1_700_000_000)
        let provider = try TokenProvider(
            signer: Fixtures.vectorSigner(), service: .apns, claims: Claims(issuer: "DEF123GHIJ"), clock: clock)
        let first = try await Self.tokens(from: provider)
        #expect(first.count == 1)
        #expect(provider.signatureCount == 1)
        clock.advance(secs: 30 * 60)
        #expect(try await Self.tokens(from: provider) == first)
        #expect(provider.signatureCount == 1)
        clock.advance(secs: 11 * 60)
        let second = try await Self.tokens(from: provider)
        #expect(second.count == 1)
        #expect(second != first)
        #expect(provider.signatureCount == 2)
    }

    /// The distinct tokens 16 concurrent tasks read from `provider`.
    static func tokens(from provider: TokenProvider) async throws -> Set<String> {
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask { try provider.token() }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
    }
}
