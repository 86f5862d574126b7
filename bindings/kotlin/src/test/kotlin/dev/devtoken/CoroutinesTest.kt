package dev.devtoken

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.CountDownLatch

/** The suspending calls: cached tokens, renewals, exchanges and a cancelled wait for an exchange. */
class CoroutinesTest {
    private val signer = Signer.generate("ABC123DEFG")
    private val apple = AppleStandIn(signer.publicKeyPem())
    private val network = NetworkOptions(baseUrl = apple.baseUrl)

    @AfterEach
    fun stop() = apple.close()

    @Test
    fun awaitTokenGivesTheCachedTokenAndARefusedTokenIsReplacedOnce(): Unit =
        runBlocking {
            val music = TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"))
            assertNull(music.freshToken())
            val first = music.awaitToken()
            assertEquals(first, music.freshToken())
            assertEquals(first, music.awaitToken())
            assertEquals(1L, music.signatureCount)
            val second = music.awaitRefreshRejected(first)
            assertNotEquals(first, second)
            val signatures = music.signatureCount
            // The same refused token reported again: the current one, no new signature.
            assertEquals(second, music.awaitRefreshRejected(first))
            assertEquals(signatures, music.signatureCount)
            assertEquals(second, music.awaitToken())
            assertTrue(awaitProbe(Service.APPLE_MUSIC, second, network).accepted)
            verifyToken(
                signer.awaitSignToken(Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ")),
                signer.publicKeyPem(),
            )
        }

    @Test
    fun awaitAccessTokenExchangesOnceThenReadsTheCache(): Unit =
        runBlocking {
            val maps = MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), network)
            assertNull(maps.freshAccessToken())
            assertEquals("access-1", maps.awaitAccessToken())
            assertEquals("access-1", maps.freshAccessToken())
            assertEquals("access-1", maps.awaitAccessToken())
            assertEquals(1, apple.requestsTo("/v1/token"))
        }

    @Test
    fun awaitAccessTokenOfOAuth() {
        val oauthSigner = Signer.generate(OAUTH_KEY_ID)
        AppleStandIn(oauthSigner.publicKeyPem()).use { oauth ->
            val school =
                OAuthTokenProvider(
                    oauthSigner, Service.SCHOOL_MANAGER, "SCHOOLAPI.$OAUTH_UUID",
                    network = NetworkOptions(baseUrl = oauth.baseUrl),
                )
            assertNull(school.freshAccessToken())
            val token = runBlocking { school.awaitAccessToken() }
            assertEquals("oauth-1", token)
            assertEquals(token, school.freshAccessToken())
            assertEquals(token, runBlocking { school.awaitAccessToken() })
            assertEquals(1, oauth.requests.get())
        }
    }

    @Test
    @Timeout(120) // only so that a wait that is never cancelled fails instead of hanging the build
    fun aCancelledWaitForASlowExchangeLeavesTheProviderUsable() {
        val maps = MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), network)
        val gate = CountDownLatch(1)
        apple.exchangeGate = gate
        val waiting = CoroutineScope(Dispatchers.Default).async { maps.awaitAccessToken() }
        apple.exchangesWaiting.acquire() // the exchange has reached the stand-in and is held there
        waiting.cancel()
        // The caller's wait ends while the exchange is still held.
        assertThrows<CancellationException> { runBlocking { waiting.await() } }
        assertEquals(0L, maps.exchangeCount)
        gate.countDown()
        assertEquals("access-1", runBlocking { maps.awaitAccessToken() })
        assertEquals(1, apple.requestsTo("/v1/token"))
        assertEquals(1L, maps.exchangeCount)
    }

    private companion object {
        const val OAUTH_KEY_ID = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"
        const val OAUTH_UUID = "27478e71-3bb0-4588-998c-182e2b405577"
    }
}
