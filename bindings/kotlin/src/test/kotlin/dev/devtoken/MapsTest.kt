package dev.devtoken

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The Maps token exchange and probe from Kotlin, against the loopback stand-in. */
class MapsTest {
    private val signer = Signer.generate("ABC123DEFG")
    private val apple = AppleStandIn(signer.publicKeyPem())

    @AfterEach
    fun stop() = apple.close()

    @Test
    fun accessTokenInThreeLines() {
        val maps = MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), NetworkOptions(baseUrl = apple.baseUrl))
        assertEquals("access-1", maps.accessToken())
        assertEquals("access-1", maps.accessToken())
        assertEquals(1, apple.requests.get())
        assertTrue(decodeToken(maps.mapsToken()).claimsJson.contains("\"scope\":\"server_api\""))
    }

    @Test
    fun freshTokensComeFromTheLeanPathWhichNeverExchanges() {
        val clock = ManualClock(System.currentTimeMillis() / 1000)
        val maps =
            MapsTokenProvider(
                signer, Claims(issuer = "DEF123GHIJ"), NetworkOptions(baseUrl = apple.baseUrl), clock = clock,
            )
        assertNull(LeanCalls.freshMapsAccessToken(maps.leanCallId))
        assertEquals(0, apple.requests.get())
        assertEquals("access-1", maps.accessToken())
        repeat(100) { assertEquals("access-1", LeanCalls.freshMapsAccessToken(maps.leanCallId)) }
        // 10 % of the stand-in's 1800 s: from 1620 s on, an exchange is due and the lean call declines.
        clock.advance(1620)
        assertNull(LeanCalls.freshMapsAccessToken(maps.leanCallId))
        assertEquals(1, apple.requests.get())
        assertEquals("access-2", maps.accessToken())
        assertEquals(2L, maps.exchangeCount)
        val id = maps.leanCallId
        maps.close()
        assertNull(LeanCalls.freshMapsAccessToken(id))
    }

    @Test
    fun theLeanPathReadsTextAsUniffiDoes() {
        // Apple's access tokens are ASCII; the lean path must not assume it.
        apple.script.add(AppleStandIn.Answer(200, """{"accessToken":"accès-ß-令牌","expiresInSeconds":1800}"""))
        val maps = MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), NetworkOptions(baseUrl = apple.baseUrl))
        assertEquals("accès-ß-令牌", maps.accessToken())
        assertEquals("accès-ß-令牌", LeanCalls.freshMapsAccessToken(maps.leanCallId))
    }

    @Test
    fun sixteenThreadsAcrossARenewalMakeOneExchange() {
        val clock = ManualClock(System.currentTimeMillis() / 1000)
        val maps =
            MapsTokenProvider(
                signer, Claims(issuer = "DEF123GHIJ"), NetworkOptions(baseUrl = apple.baseUrl), clock = clock,
            )
        maps.accessToken()
        // Inside the margin, "access-1" still valid: one thread exchanges, the others may keep it
        // meanwhile (which ones is up to the scheduler and not asserted).
        clock.advance(1700)
        assertTrue(maps.expiresAt()!! > clock.now())
        val seen = concurrently(16) { List(10) { maps.accessToken() } }.flatten().toSet()
        assertEquals(2, apple.requests.get(), "one exchange per renewal")
        assertTrue(seen.all { it == "access-1" || it == "access-2" }, "$seen")
        assertTrue("access-2" in seen, "the thread that exchanged returns the new token")
        // All threads joined: the renewal is over and every caller gets the new token.
        assertEquals(setOf("access-2"), concurrently(16) { maps.accessToken() }.toSet())
        assertEquals(2L, maps.exchangeCount)
        assertEquals(2, apple.requests.get())
    }

    @Test
    fun errorsAreTyped() {
        apple.script.add(AppleStandIn.Answer(500, """{"error":{"message":"boom"}}"""))
        val options = NetworkOptions(baseUrl = apple.baseUrl)
        assertEquals("access-2", MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), options).accessToken())

        apple.script.add(AppleStandIn.Answer(429, """{"error":{"message":"quota"}}""", mapOf("Retry-After" to "60")))
        val quota =
            assertThrows<QuotaExceededException> {
                MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), options).accessToken()
            }
        assertEquals(60L, quota.retryAfterSecs)

        repeat(3) { apple.script.add(AppleStandIn.Answer(500, "down")) }
        val network =
            assertThrows<NetworkException> {
                MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), options).accessToken()
            }
        assertEquals(3, network.attempts)

        apple.script.add(AppleStandIn.Answer(200, "not json"))
        val malformed =
            assertThrows<MalformedResponseException> {
                MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"), options).accessToken()
            }
        assertEquals(200, malformed.status)
        assertEquals("malformed_response", malformed.kind)

        val stranger = MapsTokenProvider(Signer.generate("ABC123DEFG"), Claims(issuer = "DEF123GHIJ"), options)
        val rejected = assertThrows<AppleRejectedException> { stranger.accessToken() }
        assertEquals(401, rejected.status)
        assertEquals("Not Authorized", rejected.appleMessage)
        assertEquals(listOf("bad signature"), rejected.details)
        assertTrue(rejected.findings.any { it.code == "signature_not_checked" })
        assertFalse(rejected.message!!.contains(stranger.mapsToken()))
    }

    @Test
    fun probeEachEndpoint() {
        val options = NetworkOptions(baseUrl = apple.baseUrl)
        val stranger = Signer.generate("ABC123DEFG")
        for ((service, claims) in listOf(
            Service.MAPS to Claims(issuer = "DEF123GHIJ", scope = listOf("server_api")),
            Service.APPLE_MUSIC to Claims(issuer = "DEF123GHIJ"),
            Service.APPS_AND_BOOKS to Claims(issuer = "DEF123GHIJ"),
        )) {
            assertTrue(probe(service, signer.signToken(service, claims), options).accepted, "$service")
            val rejected = probe(service, stranger.signToken(service, claims), options)
            assertFalse(rejected.accepted)
            assertEquals(401, rejected.status)
        }
    }
}
