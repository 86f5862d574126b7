package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

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
            TokenProvider(
                signer, Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"), ProviderOptions(minMarginSecs = 7),
            ).use {
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
                assertEquals(defaults.deadlineMs, it.options.deadlineMs)
            }
            MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), NetworkOptions(deadlineMs = 2500)).use {
                assertEquals(2500L, it.options.deadlineMs)
            }
            val late = assertThrows<InvalidOptionException> {
                MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), NetworkOptions(deadlineMs = -1))
            }
            assertEquals("deadline" to "range", late.field to late.rule)
        }
    }

    @Test
    fun defaultsOfEveryFace() {
        // The fields Python's core_defaults() reports too, from the same core record.
        assertEquals(false, defaults.providerReusePerRequestTokens)
        assertTrue(defaults.apnsRenewAfterSecs!! > 0)
        assertTrue(defaults.deviceCheckRenewAfterSecs!! > 0)
        assertTrue(defaults.userAgent.startsWith("devtoken/"))
        assertTrue(defaults.deadlineMs > 0)
    }
}
