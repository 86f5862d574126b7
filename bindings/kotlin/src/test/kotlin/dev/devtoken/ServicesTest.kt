package dev.devtoken

import com.nimbusds.jose.JWSAlgorithm
import com.nimbusds.jose.util.JSONObjectUtils
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.UUID

private const val TEAM = "DEF123GHIJ"
private const val ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
private const val UUID_KEY_ID = "0e7b1a52-7c3d-4b8e-9f10-2a3b4c5d6e7f"
private const val SCHOOL = "SCHOOLAPI.27478e71-3bb0-4588-998c-182e2b405577"
private const val BUSINESS = "BUSINESSAPI.27478e71-3bb0-4588-998c-182e2b405577"
private const val ADS_TEAM = "SEARCHADS.37478e71-3bb0-4588-998c-182e2b405578"
private const val ADS_CLIENT = "SEARCHADS.27478e71-3bb0-4588-998c-182e2b405577"
private const val ASSERTION_AUDIENCE = "https://account.apple.com/auth/oauth2/v2/token"

/** Every service signs a token that Nimbus JOSE+JWT verifies; header and claims are exact. */
class ServicesTest {
    /**
     * [keyId]: the OAuth services take the portal's UUID; [randomJti]: Apple School and Business
     * Manager assertions carry a fresh `jti` (a UUID) when the claims name none.
     */
    private data class Case(
        val claims: Claims,
        val header: Map<String, Any>,
        val payload: Map<String, Any>,
        val keyId: String = "ABC123DEFG",
        val randomJti: Boolean = false,
    )

    private val cases: Map<Service, Case> =
        mapOf(
            Service.MAPS to
                Case(
                    Claims(
                        issuer = TEAM,
                        ttl = 1800,
                        origins = listOf("https://*.example.com"),
                        scope = listOf("server_api"),
                    ),
                    mapOf("typ" to "JWT"),
                    mapOf("iss" to TEAM, "origin" to "https://*.example.com", "scope" to "server_api"),
                ),
            Service.APPLE_MUSIC to
                Case(
                    Claims(issuer = TEAM, ttl = 3600, origins = listOf("https://example.com")),
                    emptyMap(),
                    mapOf("iss" to TEAM, "origin" to listOf("https://example.com")),
                ),
            Service.APP_STORE_SERVER to
                Case(
                    Claims(issuer = ISSUER, ttl = 1800, bundleId = "com.example.app"),
                    mapOf("typ" to "JWT"),
                    mapOf("iss" to ISSUER, "aud" to "appstoreconnect-v1", "bid" to "com.example.app"),
                ),
            Service.EXTERNAL_PURCHASE_SERVER to
                Case(
                    Claims(issuer = ISSUER, ttl = 3600, bundleId = "com.example.app"),
                    mapOf("typ" to "JWT"),
                    mapOf("iss" to ISSUER, "aud" to "appstoreconnect-v1", "bid" to "com.example.app"),
                ),
            Service.APPS_AND_BOOKS to Case(Claims(issuer = TEAM, ttl = 3600), emptyMap(), mapOf("iss" to TEAM)),
            Service.APP_STORE_CONNECT to
                Case(
                    Claims(issuer = ISSUER, ttl = 1200),
                    mapOf("typ" to "JWT"),
                    mapOf("iss" to ISSUER, "aud" to "appstoreconnect-v1"),
                ),
            Service.ENTERPRISE_PROGRAM to
                Case(
                    Claims(issuer = ISSUER, ttl = 1200),
                    mapOf("typ" to "JWT"),
                    mapOf("iss" to ISSUER, "aud" to "apple-developer-enterprise-v1"),
                ),
            Service.WEATHER_KIT to
                Case(
                    Claims(issuer = TEAM, ttl = 3600, subject = "com.example.weatherkit-client"),
                    mapOf("id" to "$TEAM.com.example.weatherkit-client"),
                    mapOf("iss" to TEAM, "sub" to "com.example.weatherkit-client"),
                ),
            Service.SIGN_IN_WITH_APPLE to
                Case(
                    Claims(issuer = TEAM, ttl = 86400, subject = "com.example.web"),
                    emptyMap(),
                    mapOf("iss" to TEAM, "aud" to "https://appleid.apple.com", "sub" to "com.example.web"),
                ),
            Service.APNS to Case(Claims(issuer = TEAM), emptyMap(), mapOf("iss" to TEAM)),
            Service.DEVICE_CHECK to Case(Claims(issuer = TEAM), emptyMap(), mapOf("iss" to TEAM)),
            Service.SCHOOL_MANAGER to
                Case(
                    Claims(issuer = SCHOOL, ttl = 86400),
                    emptyMap(),
                    mapOf("iss" to SCHOOL, "aud" to ASSERTION_AUDIENCE, "sub" to SCHOOL),
                    keyId = UUID_KEY_ID,
                    randomJti = true,
                ),
            Service.BUSINESS_MANAGER to
                Case(
                    Claims(issuer = BUSINESS, subject = BUSINESS, ttl = 15552000),
                    emptyMap(),
                    mapOf("iss" to BUSINESS, "aud" to ASSERTION_AUDIENCE, "sub" to BUSINESS),
                    keyId = UUID_KEY_ID,
                    randomJti = true,
                ),
            Service.APPLE_ADS to
                Case(
                    Claims(issuer = ADS_TEAM, subject = ADS_CLIENT, ttl = 86400),
                    emptyMap(),
                    mapOf("iss" to ADS_TEAM, "aud" to "https://appleid.apple.com", "sub" to ADS_CLIENT),
                    keyId = UUID_KEY_ID,
                ),
        )

    @Test
    fun everyServiceIsCovered() {
        assertEquals(Service.entries.toSet(), cases.keys)
        assertEquals(serviceNames().size, Service.entries.size)
    }

    @Test
    fun nimbusVerifiesEveryService() {
        for ((service, case) in cases) {
            val signer = Signer.generate(case.keyId)
            val before = System.currentTimeMillis() / 1000
            val token = signer.signToken(service, case.claims)
            val after = System.currentTimeMillis() / 1000
            val jws = Fixtures.nimbusVerified(token, signer.publicKeyPem())
            assertEquals(JWSAlgorithm.ES256, jws.header.algorithm, "$service")
            val header = JSONObjectUtils.parse(jws.header.toString()).toMutableMap()
            assertEquals(mapOf("alg" to "ES256", "kid" to case.keyId) + case.header, header, "$service")

            val payload = jws.payload.toJSONObject().toMutableMap()
            val iat = (payload.remove("iat") as Number).toLong()
            assertTrue(iat in (before - 60)..(after - 60), "$service: iat back-dated by 60 s")
            val exp = (payload.remove("exp") as Number?)?.toLong()
            if (service == Service.APNS || service == Service.DEVICE_CHECK) {
                assertNull(exp, "$service has no exp")
            } else {
                assertEquals(case.claims.ttl, exp!! - iat, "$service")
            }
            val jti = payload.remove("jti") as String?
            if (case.randomJti) {
                assertEquals(jti, UUID.fromString(jti).toString(), "$service: jti is a UUID")
                assertFalse(
                    decodeToken(signer.signToken(service, case.claims)).claimsJson.contains(jti!!),
                    "$service: a fresh jti",
                )
            } else {
                assertNull(jti, "$service has no jti")
            }
            assertEquals(case.payload, payload, "$service")
        }
    }

    @Test
    fun aGivenJwtIdIsSentAndOneIsRefusedWhereTheServiceTakesNone() {
        val signer = Signer.generate(UUID_KEY_ID)
        val token = signer.signToken(Service.SCHOOL_MANAGER, Claims(issuer = SCHOOL, jwtId = "request-42"))
        assertEquals("request-42", Fixtures.nimbusVerified(token, signer.publicKeyPem()).payload.toJSONObject()["jti"])
        val refused =
            assertThrows<InvalidClaimsException> {
                signer.signToken(
                    Service.APPLE_ADS,
                    Claims(issuer = ADS_TEAM, subject = ADS_CLIENT, jwtId = "request-42"),
                )
            }
        assertEquals("jti" to "unsupported_claim", refused.field to refused.rule)
        val tenCharacter =
            assertThrows<InvalidClaimsException> {
                Signer.generate("ABC123DEFG").signToken(Service.SCHOOL_MANAGER, Claims(issuer = SCHOOL))
            }
        assertEquals("kid" to "format", tenCharacter.field to tenCharacter.rule)
    }

    @Test
    fun verifyDecodeAndInspect() {
        val signer = Signer.generate("ABC123DEFG")
        val claims = Claims(issuer = TEAM, issuedAt = 1_700_000_000, ttl = 3600)
        val token = signer.signToken(Service.APPLE_MUSIC, claims, now = 1_700_000_000)
        val decoded = verifyToken(token, signer.publicKeyPem())
        assertEquals(decodeToken(token), decoded)
        assertTrue(decoded.claimsJson.startsWith("{\"iss\":\"DEF123GHIJ\",\"iat\":1700000000"))
        assertThrows<SignatureException> { verifyToken(token, Signer.generate("ABC123DEFG").publicKeyPem()) }
        assertThrows<MalformedTokenException> { verifyToken("abc.def", signer.publicKeyPem()) }

        val later = inspectToken(token, Service.APPLE_MUSIC, now = 1_700_000_000 + 7200)
        assertEquals(listOf("expired"), later.filter { it.level == Level.ERROR }.map { it.code })
        val checked = inspectToken(token, Service.APPLE_MUSIC, signer.publicKeyPem(), now = 1_700_000_000)
        assertTrue(checked.any { it.code == "signature_ok" })
        assertFalse(checked.any { it.level == Level.ERROR })
    }

    @Test
    fun lifetimeWarningsAreTheCoresFieldWarning() {
        Signer.generate("ABC123DEFG").use { signer ->
            val music = { days: Long ->
                signer.signToken(
                    Service.APPLE_MUSIC,
                    Claims(issuer = TEAM, issuedAt = NOW, ttl = days * 86_400),
                    now = NOW,
                )
            }
            assertEquals(emptyList<Finding>(), lifetimeWarnings(music(180), Service.APPLE_MUSIC))
            val warnings = lifetimeWarnings(music(182), Service.APPLE_MUSIC)
            assertEquals(listOf(Level.WARNING to "lifetime_over_field_limit"), warnings.map { it.level to it.code })
            // The same finding inspectToken reports for that token.
            assertTrue(warnings[0] in inspectToken(music(182), Service.APPLE_MUSIC, now = NOW))
            assertThrows<MalformedTokenException> { lifetimeWarnings("not-a-token", Service.APPLE_MUSIC) }
        }
    }

    private companion object {
        const val NOW = 1_700_000_000L
    }
}
