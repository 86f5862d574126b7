package dev.devtoken

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.future.await
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.CountDownLatch

/**
 * [DevTokenHttpClient] against the loopback stand-in: one exchange for many concurrent calls, a
 * refused token replaced once with one retry per call, a second 401 handed back, and a cancelled
 * caller that leaves the provider usable. Counts and latches only; nothing waits on time.
 */
@Timeout(300) // only so that a deadlock fails the build instead of hanging it
class HttpClientTest {
    private val signer = Signer.generate("ABC123DEFG")
    private val apple = AppleStandIn(signer.publicKeyPem())
    private val maps = MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), NetworkOptions(baseUrl = apple.baseUrl))
    private val http =
        DevTokenHttpClient(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), BearerSource.of(maps))
    private val geocode = HttpRequest.newBuilder(URI.create("${apple.baseUrl}/v1/geocode?q=Cupertino")).build()
    private val body = HttpResponse.BodyHandlers.ofString()

    @AfterEach
    fun stop() = apple.close()

    /** [calls] requests at once, half through [DevTokenHttpClient.sendAsync], half through coroutines. */
    private fun concurrentStatuses(calls: Int): List<Int> =
        runBlocking {
            val futures = (0 until calls / 2).map { http.sendAsync(geocode, body) }
            val coroutines = (0 until calls / 2).map { async(Dispatchers.IO) { http.awaitSend(geocode, body) } }
            futures.map { it.await().statusCode() } + coroutines.awaitAll().map { it.statusCode() }
        }

    @Test
    fun aHundredConcurrentCallsMakeOneExchange() {
        assertEquals(List(100) { 200 }, concurrentStatuses(100))
        assertEquals(1, apple.requestsTo("/v1/token"))
        assertEquals(100, apple.requestsTo("/v1/geocode"))
    }

    @Test
    fun aRefusedTokenIsReplacedOnceAndEachCallRetriesOnce() {
        assertEquals(200, http.send(geocode, body).statusCode())
        apple.rejected.add(maps.accessToken())
        // No 401 is answered before all 100 calls were refused: each sent the refused token.
        apple.refusalGate = CountDownLatch(100)
        assertEquals(List(100) { 200 }, concurrentStatuses(100))
        assertEquals(2, apple.requestsTo("/v1/token"))
        assertEquals(1 + 100 + 100, apple.requestsTo("/v1/geocode"))
        // The blocking send too: the new token is accepted at once.
        assertEquals(200, http.send(geocode, body).statusCode())
        assertEquals(2, apple.requestsTo("/v1/token"))
    }

    @Test
    fun aSecondUnauthorizedReachesTheCallerAfterExactlyTwoRequests() {
        apple.rejectAll = true
        assertEquals(401, http.send(geocode, body).statusCode())
        assertEquals(2, apple.requestsTo("/v1/geocode"))
        assertEquals(401, http.sendAsync(geocode, body).join().statusCode())
        assertEquals(4, apple.requestsTo("/v1/geocode"))
        // Each call replaced the token it was refused: one new exchange per call.
        assertEquals(3, apple.requestsTo("/v1/token"))
    }

    @Test
    fun theRequestsOwnHeadersAreKeptAndItsAuthorizationReplaced() {
        val request =
            HttpRequest.newBuilder(geocode.uri())
                .header("Authorization", "Bearer stale")
                .header("Accept", "a/b")
                .build()
        assertEquals(200, http.send(request, body).statusCode())
        assertEquals(1, apple.requestsTo("/v1/geocode"))
    }

    @Test
    fun aCancelledCallerWaitingOnASlowExchangeLeavesTheProviderUsable() {
        val gate = CountDownLatch(1)
        apple.exchangeGate = gate
        val waiting = CoroutineScope(Dispatchers.Default).async { http.awaitSend(geocode, body) }
        apple.exchangesWaiting.acquire() // the exchange is held at the stand-in
        waiting.cancel()
        assertThrows<CancellationException> { runBlocking { waiting.await() } }
        gate.countDown()
        assertEquals(200, runBlocking { http.awaitSend(geocode, body) }.statusCode())
        assertEquals(1, apple.requestsTo("/v1/token"))
        assertEquals(1, apple.requestsTo("/v1/geocode"))
    }

    @Test
    fun tokenProvidersAreReplacedThroughRefreshRejected() {
        val music = TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"))
        val musicHttp = DevTokenHttpClient(HttpClient.newHttpClient(), BearerSource.of(music))
        val refused = music.token()
        apple.rejected.add(refused)
        assertEquals(200, musicHttp.send(geocode, body).statusCode())
        assertEquals(2, apple.requestsTo("/v1/geocode"))
        assertEquals(music.freshToken(), BearerSource.of(music).replaceRejected(refused))
    }
}
