package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.Collections
import java.util.concurrent.CyclicBarrier

private const val T0 = 1_700_000_000L
private const val TEAM = "DEF123GHIJ"
private const val ISSUER = "57246542-96fe-1a63-e053-0824d011072a"

/** TokenProvider from Kotlin: the core's reuse rules, with a manual clock. */
class TokenProviderTest {
    @Test
    fun longLivedTokenIsReusedUntilTheMargin() {
        val clock = ManualClock(T0)
        val music = TokenProvider(Signer.generate("ABC123DEFG"), Service.APPLE_MUSIC, Claims(issuer = TEAM, ttl = 3600), clock = clock)
        val first = music.token()
        val exp = T0 - 60 + 3600
        assertEquals(exp, music.expiresAt)
        clock.set(exp - 901)
        assertEquals(first, music.token())
        assertEquals(901L, music.secondsLeft)
        clock.set(exp - 900)
        assertNotEquals(first, music.token())
        assertEquals(2L, music.signatureCount)
        assertTrue(music.currentClaimsJson!!.contains("\"iat\":${exp - 900 - 60}"))
    }

    @Test
    fun appStoreServerIsPerCallUnlessReuseIsAskedFor() {
        val clock = ManualClock(T0)
        val claims = Claims(issuer = ISSUER, bundleId = "com.example.app")
        val perCall = TokenProvider(Signer.generate("ABC123DEFG"), Service.APP_STORE_SERVER, claims, clock = clock)
        val a = perCall.token()
        clock.advance(1)
        assertNotEquals(a, perCall.token())
        assertEquals(2L, perCall.signatureCount)
        val reused =
            TokenProvider(
                Signer.generate("ABC123DEFG"),
                Service.APP_STORE_SERVER,
                claims,
                ProviderOptions(reusePerRequestTokens = true),
                clock,
            )
        val first = reused.token()
        clock.advance(60)
        assertEquals(first, reused.token())
    }

    @Test
    fun apnsFortyMinutesAndTwentyMinuteFloor() {
        val clock = ManualClock(T0)
        val apns = TokenProvider(Signer.generate("ABC123DEFG"), Service.APNS, Claims(issuer = TEAM), clock = clock)
        val first = apns.token()
        clock.advance(40 * 60 - 1)
        assertEquals(first, apns.token())
        clock.advance(1)
        val second = apns.token()
        assertNotEquals(first, second)
        clock.advance(19 * 60)
        val tooSoon = assertThrows<RefreshTooSoonException> { apns.forceRefresh() }
        assertEquals(60L, tooSoon.waitSecs)
        assertTrue(tooSoon.message!!.contains("at most every 1200 s"))
        clock.advance(60)
        assertNotEquals(second, apns.forceRefresh())
        assertThrows<InvalidOptionException> {
            TokenProvider(Signer.generate("ABC123DEFG"), Service.APNS, Claims(issuer = TEAM), ProviderOptions(renewAfterSecs = 600))
        }
        assertThrows<InvalidClaimsException> {
            TokenProvider(Signer.generate("ABC123DEFG"), Service.APP_STORE_SERVER, Claims(issuer = ISSUER))
        }
    }

    @Test
    fun sixteenThreadsAcrossARenewalShareOneSignature() {
        val signer = Signer.generate("ABC123DEFG")
        val clock = ManualClock(T0)
        val provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = TEAM, ttl = 3600), clock = clock)
        provider.token()
        clock.set(T0 + 2700)
        val barrier = CyclicBarrier(16)
        val tokens = Collections.synchronizedSet(mutableSetOf<String>())
        val threads =
            (0 until 16).map {
                Thread {
                    barrier.await()
                    repeat(50) { tokens.add(provider.token()) }
                }.apply { start() }
            }
        threads.forEach { it.join() }
        assertEquals(2L, provider.signatureCount)
        assertTrue(tokens.size <= 2)
        for (token in tokens) {
            val claims = Fixtures.nimbusVerified(token, signer.publicKeyPem()).payload.toJSONObject()
            assertTrue((claims["exp"] as Number).toLong() > clock.now())
        }
    }
}
