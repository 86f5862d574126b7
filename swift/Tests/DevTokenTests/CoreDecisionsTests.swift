import DevToken
import Foundation
import Testing

/// What the Swift layer takes from the core instead of deciding itself: the whole seconds of a
/// `Duration` (a fraction is the core's error, never truncated) and the CLI's lifetime warning.
@Suite struct CoreDecisionsTests {
    static let now = Fixtures.date(1_700_000_000)

    @Test func aFractionOfASecondIsTheCoresErrorNotTruncated() throws {
        let signer = try Signer.generate(keyId: "ABC123DEFG")
        let ttl = #expect(throws: DevTokenError.self) {
            try signer.signToken(
                .appleMusic, claims: Claims(issuer: "DEF123GHIJ", ttl: .milliseconds(3_600_500)), at: Self.now)
        }
        #expect(ttl?.errorKind == .invalidClaim)
        #expect(ttl?.kind == "invalid_claim")
        #expect(ttl?.field == "exp")
        #expect(ttl?.rule == "whole_seconds")
        // A fraction under a nanosecond is still a fraction.
        let skew = #expect(throws: DevTokenError.self) {
            try Signer.generate(keyId: "ABC123DEFG", clockSkew: Duration(secondsComponent: 5, attosecondsComponent: 1))
        }
        #expect(skew?.field == "clock_skew_secs")
        #expect(skew?.rule == "whole_seconds")
        let whole = try signer.signToken(
            .appleMusic, claims: Claims(issuer: "DEF123GHIJ", issuedAt: Self.now, ttl: .seconds(3600)), at: Self.now)
        #expect(try decodeToken(whole).claimsJson.contains("\"exp\":1700003600"))
    }

    @Test func lifetimeWarningsAreTheCoresFieldWarning() throws {
        let signer = try Signer.generate(keyId: "ABC123DEFG")
        func music(days: Int64) throws -> String {
            try signer.signToken(
                .appleMusic, claims: Claims(issuer: "DEF123GHIJ", issuedAt: Self.now, ttl: .seconds(days * 86_400)),
                at: Self.now)
        }
        #expect(try lifetimeWarnings(music(days: 180), service: .appleMusic).isEmpty)
        let warnings = try lifetimeWarnings(music(days: 182), service: .appleMusic)
        #expect(warnings.map(\.code) == ["lifetime_over_field_limit"])
        #expect(warnings.map(\.level) == [.warning])
        // The same finding inspectToken reports for that token.
        #expect(try inspectToken(music(days: 182), service: .appleMusic, at: Self.now).contains(warnings[0]))
        let malformed = #expect(throws: DevTokenError.self) {
            try lifetimeWarnings("not-a-token", service: .appleMusic)
        }
        #expect(malformed?.kind == "malformed_token")
    }
}
