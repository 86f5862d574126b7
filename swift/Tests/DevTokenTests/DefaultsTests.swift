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
        let maps = try MapsTokenProvider(signer: Signer.generate(keyId: "ABC123DEFG"), claims: Claims(issuer: "DEF123GHIJ"))
        #expect(maps.options.marginFraction == defaults.mapsMarginFraction)
        #expect(maps.options.minMarginSecs == defaults.mapsMinMarginSecs)
        #expect(maps.options.connectTimeoutMs == defaults.connectTimeoutMs)
        #expect(maps.options.readTimeoutMs == defaults.readTimeoutMs)
        #expect(maps.options.maxRetries == defaults.maxRetries)
    }
}
