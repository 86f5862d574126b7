import DevToken
import Testing

/// Fleet-aligned `iat` from Swift: the core's grid and its refusal for per-request services.
struct AlignmentTests {
    /// A point of APNs' 40-minute grid.
    let gridT0: Int64 = 1_699_999_200

    @Test func twoProcessesOfAFleetShareOneAPNsToken() throws {
        let pem = try generatePrivateKeyPEM()
        let a = try TokenProvider(
            signer: Signer(pem: pem, keyId: "ABC123DEFG"), service: .apns, claims: Claims(issuer: "DEF123GHIJ"),
            clock: ManualClock(now: gridT0 + 100))
        let b = try TokenProvider(
            signer: Signer(pem: pem, keyId: "ABC123DEFG"), service: .apns, claims: Claims(issuer: "DEF123GHIJ"),
            clock: ManualClock(now: gridT0 + 1700))
        #expect(a.alignmentPeriodSecs == 2400)
        #expect(try a.token() == b.token())
        let music = try TokenProvider(
            signer: Signer(pem: pem, keyId: "ABC123DEFG"), service: .appleMusic, claims: Claims(issuer: "DEF123GHIJ"))
        #expect(music.alignmentPeriodSecs == nil)
    }

    @Test func appStoreServerTokensAreNeverAligned() throws {
        let claims = Claims(issuer: "57246542-96fe-1a63-e053-0824d011072a", bundleId: "com.example.app")
        let refused = #expect(throws: DevTokenError.self) {
            try TokenProvider(
                signer: Signer.generate(keyId: "ABC123DEFG"), service: .appStoreServer, claims: claims,
                options: ProviderOptions(aligned: true))
        }
        #expect(refused?.field == "aligned")
        #expect(refused?.rule == "not_applicable")
    }
}
