package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

private const val T0 = 1_700_000_000L

/** A point of APNs' 40-minute grid: an aligned provider started there renews 40 minutes on. */
private const val GRID_T0 = 1_699_999_200L
private const val TEAM = "DEF123GHIJ"
private const val ISSUER = "57246542-96fe-1a63-e053-0824d011072a"

/** TokenProvider from Kotlin: the core's reuse rules, with a manual clock. */
class TokenProviderTest {
    @Test
    fun longLivedTokenIsReusedUntilTheMargin() {
        val clock = ManualClock(T0)
        val music =
            TokenProvider(
                Signer.generate("ABC123DEFG"), Service.APPLE_MUSIC, Claims(issuer = TEAM, ttl = 3600), clock = clock,
            )
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
        val clock = ManualClock(GRID_T0)
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
            TokenProvider(
                Signer.generate("ABC123DEFG"),
                Service.APNS,
                Claims(issuer = TEAM),
                ProviderOptions(renewAfterSecs = 600),
            )
        }
        assertThrows<InvalidClaimsException> {
            TokenProvider(Signer.generate("ABC123DEFG"), Service.APP_STORE_SERVER, Claims(issuer = ISSUER))
        }
    }

    /**
     * One signature per renewal; during it only the old (still valid) or the new token; once it
     * is over, the new token for every caller. Which threads saw the old token is up to the
     * scheduler (stale-while-revalidate), so it is not asserted.
     */
    @Test
    fun sixteenThreadsAcrossARenewalShareOneSignature() {
        val signer = Signer.generate("ABC123DEFG")
        val clock = ManualClock(T0)
        val provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = TEAM, ttl = 3600), clock = clock)
        fun exp(token: String): Long =
            (Fixtures.nimbusVerified(token, signer.publicKeyPem()).payload.toJSONObject()["exp"] as Number).toLong()
        var old = provider.token()
        for (round in 1..3) {
            // Past the renewal point, the old token still valid.
            clock.set(T0 + round * 2700L)
            assertTrue(exp(old) > clock.now(), "round $round: the old token is still valid")
            val seen = concurrently(16) { List(50) { provider.token() } }.flatten().toSet()
            assertEquals(1L + round, provider.signatureCount, "round $round: one signature however many threads ask")
            // All threads joined: the renewal is over and every caller gets the new token.
            val renewed = provider.token()
            assertNotEquals(old, renewed, "round $round")
            assertEquals(renewed, provider.token(), "round $round")
            assertTrue(exp(renewed) > clock.now(), "round $round")
            assertTrue(seen.all { it == old || it == renewed }, "round $round: only the old and the renewed token")
            assertTrue(renewed in seen, "round $round: the thread that signed returns the new token")
            assertEquals(1L + round, provider.signatureCount, "round $round")
            old = renewed
        }
    }
}
