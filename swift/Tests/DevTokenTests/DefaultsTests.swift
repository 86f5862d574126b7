import DevToken
import Testing

/// Options left out take the core's defaults, read from the core (never retyped in Swift).
@Suite struct DefaultsTests {
    let defaults = coreDefaults()

    @Test func signerClockSkew() throws {
        #expect(try Signer.generate(keyId: "ABC123DEFG").clockSkew == .seconds(defaults.clockSkewSecs))
        #expect(try Signer.generate(keyId: "ABC123DEFG", clockSkew: .seconds(5)).clockSkew == .seconds(5))
    }

    @Test func tokenProviderOptions() throws {
        let signer = try Signer.generate(keyId: "ABC123DEFG")
        let provider = try TokenProvider(signer: signer, service: .appleMusic, claims: Claims(issuer: "DEF123GHIJ"))
        #expect(provider.options.marginFraction == defaults.providerMarginFraction)
        #expect(provider.options.minMarginSecs == defaults.providerMinMarginSecs)
        #expect(provider.options.renewAfterSecs == nil)
        #expect(provider.options.reusePerRequestTokens == false)
        let given = try TokenProvider(
            signer: signer, service: .appleMusic, claims: Claims(issuer: "DEF123GHIJ"),
            options: ProviderOptions(minMarginSecs: 7))
        #expect(given.options.marginFraction == defaults.providerMarginFraction)
        #expect(given.options.minMarginSecs == 7)
    }

    @Test func mapsProviderOptions() throws {
        let maps = try MapsTokenProvider(
            signer: Signer.generate(keyId: "ABC123DEFG"), claims: Claims(issuer: "DEF123GHIJ"))
        #expect(maps.options.marginFraction == defaults.mapsMarginFraction)
        #expect(maps.options.minMarginSecs == defaults.mapsMinMarginSecs)
        #expect(maps.options.connectTimeoutMs == defaults.connectTimeoutMs)
        #expect(maps.options.readTimeoutMs == defaults.readTimeoutMs)
        #expect(maps.options.maxRetries == defaults.maxRetries)
        #expect(maps.options.deadlineMs == defaults.deadlineMs)
        let given = try MapsTokenProvider(
            signer: Signer.generate(keyId: "ABC123DEFG"), claims: Claims(issuer: "DEF123GHIJ"),
            network: NetworkOptions(deadlineMs: 2500))
        #expect(given.options.deadlineMs == 2500)
        let late = #expect(throws: DevTokenError.self) {
            try MapsTokenProvider(
                signer: Signer.generate(keyId: "ABC123DEFG"), claims: Claims(issuer: "DEF123GHIJ"),
                network: NetworkOptions(deadlineMs: -1))
        }
        #expect(late?.field == "deadline")
        #expect(late?.rule == "range")
    }

    @Test func defaultsOfEveryFace() {
        // The fields Python's core_defaults() reports too, from the same core record.
        #expect(defaults.providerReusePerRequestTokens == false)
        #expect((defaults.apnsRenewAfterSecs ?? 0) > 0)
        #expect((defaults.deviceCheckRenewAfterSecs ?? 0) > 0)
        #expect(defaults.userAgent.hasPrefix("devtoken/"))
        #expect(defaults.deadlineMs > 0)
    }
}
