package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

/** Options left out take the core's defaults, read from the core (never retyped in Kotlin). */
class DefaultsTest {
    private val defaults = coreDefaults()

    @Test
    fun signerClockSkew() {
        Signer.generate("ABC123DEFG").use { assertEquals(defaults.clockSkewSecs, it.clockSkewSecs) }
        Signer.generate("ABC123DEFG", clockSkewSecs = 5).use { assertEquals(5L, it.clockSkewSecs) }
    }

    @Test
    fun tokenProviderOptions() {
        Signer.generate("ABC123DEFG").use { signer ->
            TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ")).use {
                assertEquals(defaults.providerMarginFraction, it.options.marginFraction)
                assertEquals(defaults.providerMinMarginSecs, it.options.minMarginSecs)
                assertNull(it.options.renewAfterSecs)
                assertEquals(false, it.options.reusePerRequestTokens)
            }
            TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"), ProviderOptions(minMarginSecs = 7)).use {
                assertEquals(defaults.providerMarginFraction, it.options.marginFraction)
                assertEquals(7L, it.options.minMarginSecs)
            }
        }
    }

    @Test
    fun mapsProviderOptions() {
        Signer.generate("ABC123DEFG").use { signer ->
            MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ")).use {
                assertEquals(defaults.mapsMarginFraction, it.options.marginFraction)
                assertEquals(defaults.mapsMinMarginSecs, it.options.minMarginSecs)
                assertEquals(defaults.connectTimeoutMs, it.options.connectTimeoutMs)
                assertEquals(defaults.readTimeoutMs, it.options.readTimeoutMs)
                assertEquals(defaults.maxRetries, it.options.maxRetries)
            }
        }
    }
}
