package dev.devtoken

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

private const val KEY_ID = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"
private const val UUID = "27478e71-3bb0-4588-998c-182e2b405577"

/**
 * Apple School Manager, Apple Business Manager and Apple Ads from Kotlin: the client assertion is
 * exchanged at the loopback stand-in's `POST /auth/oauth2/token`, which checks the form and
 * verifies the assertion with Nimbus (independent of devtoken).
 */
class OAuthTest {
    private val signer = Signer.generate(KEY_ID)
    private val apple = AppleStandIn(signer.publicKeyPem())
    private val clock = ManualClock(System.currentTimeMillis() / 1000)

    @AfterEach
    fun stop() = apple.close()

    /** The client id and (Apple Ads) team id each service wants. */
    private fun ids(service: Service): Pair<String, String?> =
        when (service) {
            Service.SCHOOL_MANAGER -> "SCHOOLAPI.$UUID" to null
            Service.BUSINESS_MANAGER -> "BUSINESSAPI.$UUID" to null
            Service.APPLE_ADS -> "SEARCHADS.$UUID" to "SEARCHADS.$UUID"
            else -> error("$service has no token exchange")
        }

    private fun provider(service: Service, signer: Signer = this.signer): OAuthTokenProvider {
        val (clientId, teamId) = ids(service)
        return OAuthTokenProvider(
            signer, service, clientId, teamId, NetworkOptions(baseUrl = apple.baseUrl), clock = clock,
        )
    }

    @Test
    fun accessTokenInThreeLines() {
        val ads =
            OAuthTokenProvider(
                signer,
                Service.APPLE_ADS,
                "SEARCHADS.$UUID",
                teamId = "SEARCHADS.$UUID",
                network = NetworkOptions(baseUrl = apple.baseUrl),
            )
        assertEquals("oauth-1", ads.accessToken())
    }

    @Test
    fun eachServicePostsTheDocumentedFormAndCachesTheAnswer() {
        for (service in SERVICES) {
            val (clientId, teamId) = ids(service)
            val before = apple.requests.get()
            val oauth = provider(service)
            assertNull(oauth.expiresAt())
            val first = oauth.accessToken()
            assertEquals("oauth-${before + 1}", first, "$service")
            assertEquals(first, oauth.accessToken())
            assertEquals(clock.now() + 3600, oauth.expiresAt())
            assertEquals(before + 1, apple.requests.get(), "$service: cached")

            val form = apple.forms.last()
            assertEquals("client_credentials", form["grant_type"])
            assertEquals(clientId, form["client_id"])
            val jwt =
                if (service == Service.APPLE_ADS) {
                    assertEquals("searchadsorg", form["scope"])
                    assertNull(form["client_assertion"])
                    form.getValue("client_secret")
                } else {
                    assertEquals(if (service == Service.SCHOOL_MANAGER) "school.api" else "business.api", form["scope"])
                    assertEquals(AppleStandIn.JWT_BEARER, form["client_assertion_type"])
                    assertNull(form["client_secret"])
                    form.getValue("client_assertion")
                }
            assertEquals(oauth.assertion(), jwt)
            val jws = Fixtures.nimbusVerified(jwt, signer.publicKeyPem())
            assertEquals(KEY_ID, jws.header.keyID)
            val claims = jws.payload.toJSONObject()
            assertEquals(clientId, claims["sub"])
            assertEquals(teamId ?: clientId, claims["iss"])
            assertEquals(service != Service.APPLE_ADS, claims["jti"] is String, "$service: jti")

            // Renewed 10 % of expires_in (360 s) before it expires, not sooner.
            clock.advance(3600 - 361)
            assertEquals(first, oauth.accessToken())
            clock.advance(1)
            assertEquals("oauth-${before + 2}", oauth.accessToken(), "$service: renewed")
            assertEquals(2L, oauth.exchangeCount)
            assertEquals(jwt, oauth.assertion(), "$service: the assertion outlives the access token")
            oauth.close()
        }
    }

    @Test
    fun sixteenThreadsAcrossARenewalMakeOneExchange() {
        val oauth = provider(Service.SCHOOL_MANAGER)
        assertEquals("oauth-1", oauth.accessToken())
        // Inside the 360 s margin, "oauth-1" still valid: one thread exchanges, the others may keep
        // it meanwhile (which ones is up to the scheduler and not asserted).
        clock.advance(3500)
        assertTrue(oauth.expiresAt()!! > clock.now())
        val seen = concurrently(16) { List(10) { oauth.accessToken() } }.flatten().toSet()
        assertEquals(2, apple.requests.get(), "one exchange per renewal")
        assertTrue(seen.all { it == "oauth-1" || it == "oauth-2" }, "$seen")
        assertTrue("oauth-2" in seen, "the thread that exchanged returns the new token")
        // All threads joined: the renewal is over and every caller gets the new token.
        assertEquals(setOf("oauth-2"), concurrently(16) { oauth.accessToken() }.toSet())
        assertEquals(2L, oauth.exchangeCount)
        assertEquals(2, apple.requests.get())
    }

    @Test
    fun invalidatingTheRejectedTokenFromSixteenThreadsForcesExactlyOneExchange() {
        val oauth = provider(Service.BUSINESS_MANAGER)
        val rejected = oauth.accessToken()
        // After its own invalidate a thread never sees the rejected token again, whichever runs first.
        val outcomes = concurrently(16) { oauth.invalidate(rejected) to oauth.accessToken() }
        assertEquals(1, outcomes.count { it.first }, "only one thread forgets the rejected token")
        assertEquals(setOf("oauth-2"), outcomes.map { it.second }.toSet())
        assertEquals(2, apple.requests.get(), "one exchange after the 401, not sixteen")
        assertFalse(oauth.invalidate("oauth-1"), "an old token does not evict the new one")
        assertTrue(oauth.invalidate())
        assertFalse(oauth.invalidate())
        assertEquals("oauth-3", oauth.accessToken())
    }

    @Test
    fun anAssertionNearItsOneHundredEightyDaysIsRenewedBeforeUse() {
        val oauth = provider(Service.SCHOOL_MANAGER)
        oauth.accessToken()
        val first = decodeToken(apple.forms.last().getValue("client_assertion")).claimsJson
        clock.advance(170 * 86_400L)
        assertEquals("oauth-2", oauth.accessToken())
        val second = apple.forms.last().getValue("client_assertion")
        val claims = Fixtures.nimbusVerified(second, signer.publicKeyPem()).payload.toJSONObject()
        assertFalse(first.contains(claims["jti"] as String), "a fresh jti")
        assertTrue((claims["iat"] as Number).toLong() >= clock.now() - 60)
        assertTrue((claims["exp"] as Number).toLong() - clock.now() > 170 * 86_400L)
    }

    @Test
    fun invalidClientSurfacesAsAppleRejectedWithApplesText() {
        apple.script.add(
            AppleStandIn.Answer(
                400,
                """{"error":"invalid_client","error_description":"client authentication failed"}""",
            ),
        )
        val oauth = provider(Service.APPLE_ADS)
        val error = assertThrows<AppleRejectedException> { oauth.accessToken() }
        assertEquals("apple_rejected", error.kind)
        assertEquals(400, error.status)
        assertEquals("invalid_client: client authentication failed", error.appleMessage)
        assertTrue(error.message!!.contains("invalid_client: client authentication failed"), error.message)
        // The assertion itself was good: inspect finds nothing wrong with it.
        assertTrue(error.findings.none { it.level == Level.ERROR }, "${error.findings}")
        assertFalse(error.message!!.contains(oauth.assertion()), "the error does not carry the assertion")

        // The stand-in's own check: an assertion signed by another key is refused.
        val stranger = provider(Service.SCHOOL_MANAGER, Signer.generate(KEY_ID))
        val refused = assertThrows<AppleRejectedException> { stranger.accessToken() }
        assertEquals(400, refused.status)
        assertEquals("invalid_client: the signature does not verify", refused.appleMessage)
        assertEquals(0L, stranger.exchangeCount)
    }

    @Test
    fun otherAnswersAreTyped() {
        apple.script.add(AppleStandIn.Answer(401, """{"error":"invalid_client"}"""))
        val unauthorized = assertThrows<AppleRejectedException> { provider(Service.SCHOOL_MANAGER).accessToken() }
        assertEquals(401, unauthorized.status)
        assertEquals("invalid_client", unauthorized.appleMessage)

        apple.script.add(AppleStandIn.Answer(429, """{"error":"rate_limited"}""", mapOf("Retry-After" to "30")))
        val quota = assertThrows<QuotaExceededException> { provider(Service.BUSINESS_MANAGER).accessToken() }
        assertEquals(30L, quota.retryAfterSecs)

        // One 500, then the retry gets the token.
        apple.script.add(AppleStandIn.Answer(500, "down"))
        val before = apple.requests.get()
        assertEquals("oauth-${before + 2}", provider(Service.APPLE_ADS).accessToken())

        repeat(3) { apple.script.add(AppleStandIn.Answer(500, "down")) }
        val network = assertThrows<NetworkException> { provider(Service.APPLE_ADS).accessToken() }
        assertEquals(3, network.attempts)

        apple.script.add(AppleStandIn.Answer(200, """{"access_token":"x","token_type":"Bearer"}"""))
        assertThrows<MalformedResponseException> { provider(Service.SCHOOL_MANAGER).accessToken() }
    }

    @Test
    fun badIdentifiersFailWithTheCoresFieldAndRuleBeforeAnyRequest() {
        val network = NetworkOptions(baseUrl = apple.baseUrl)
        fun refused(
            service: Service,
            clientId: String,
            teamId: String?,
            signer: Signer = this.signer,
        ): DevTokenException =
            assertThrows<DevTokenException> { OAuthTokenProvider(signer, service, clientId, teamId, network) }

        val bare = refused(Service.APPLE_ADS, UUID, "SEARCHADS.$UUID")
        assertTrue(bare is InvalidClaimsException)
        assertEquals("sub" to "format", bare.field to bare.rule)
        assertTrue(bare.message!!.contains("bare UUID"), bare.message)
        val swapped = refused(Service.SCHOOL_MANAGER, "BUSINESSAPI.$UUID", null)
        assertEquals("iss" to "format", swapped.field to swapped.rule)
        val noTeam = refused(Service.APPLE_ADS, "SEARCHADS.$UUID", null)
        assertEquals("iss" to "required", noTeam.field to noTeam.rule)
        val teamForSchool = refused(Service.SCHOOL_MANAGER, "SCHOOLAPI.$UUID", "SEARCHADS.$UUID")
        assertTrue(teamForSchool is InvalidOptionException)
        assertEquals("team_id" to "not_applicable", teamForSchool.field to teamForSchool.rule)
        val tenCharacterKid =
            refused(Service.APPLE_ADS, "SEARCHADS.$UUID", "SEARCHADS.$UUID", Signer.generate("ABC123DEFG"))
        assertEquals("kid" to "format", tenCharacterKid.field to tenCharacterKid.rule)
        val music = refused(Service.APPLE_MUSIC, "SEARCHADS.$UUID", null)
        assertEquals("invalid_option", music.kind)
        assertEquals("service" to "not_applicable", music.field to music.rule)
        assertEquals(0, apple.requests.get())
    }

    @Test
    fun optionsLeftOutAreTheCoresAndNoTokenIsShown() {
        val defaults = coreDefaults()
        val oauth = provider(Service.APPLE_ADS)
        assertEquals(defaults.mapsMarginFraction, oauth.options.marginFraction)
        assertEquals(defaults.mapsMinMarginSecs, oauth.options.minMarginSecs)
        val (clientId, teamId) = ids(Service.APPLE_ADS)
        val tuned =
            OAuthTokenProvider(signer, Service.APPLE_ADS, clientId, teamId, marginFraction = 0.5, minMarginSecs = 120)
        assertEquals(0.5, tuned.options.marginFraction)
        assertEquals(120L, tuned.options.minMarginSecs)
        assertThrows<InvalidOptionException> {
            OAuthTokenProvider(signer, Service.APPLE_ADS, clientId, teamId, marginFraction = 2.0)
        }

        val token = oauth.accessToken()
        val text = oauth.toString()
        assertEquals("OAuthTokenProvider(service=APPLE_ADS, clientId=$clientId)", text)
        assertFalse(text.contains(token))
        assertFalse(text.contains(oauth.assertion()))
        assertNotEquals(token, oauth.assertion())
    }

    private companion object {
        val SERVICES = listOf(Service.SCHOOL_MANAGER, Service.BUSINESS_MANAGER, Service.APPLE_ADS)
    }
}
