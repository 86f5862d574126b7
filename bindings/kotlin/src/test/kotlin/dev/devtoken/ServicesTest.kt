package dev.devtoken

import com.nimbusds.jose.JWSAlgorithm
import com.nimbusds.jose.util.JSONObjectUtils
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

private const val TEAM = "DEF123GHIJ"
private const val ISSUER = "57246542-96fe-1a63-e053-0824d011072a"

/** Every service signs a token that Nimbus JOSE+JWT verifies; header and claims are exact. */
class ServicesTest {
    private data class Case(val claims: Claims, val header: Map<String, Any>, val payload: Map<String, Any>)

    private val cases: Map<Service, Case> =
        mapOf(
            Service.MAPS to
                Case(
                    Claims(issuer = TEAM, ttl = 1800, origins = listOf("https://*.example.com"), scope = listOf("server_api")),
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
                Case(Claims(issuer = ISSUER, ttl = 1200), mapOf("typ" to "JWT"), mapOf("iss" to ISSUER, "aud" to "appstoreconnect-v1")),
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
        )

    @Test
    fun everyServiceIsCovered() {
        assertEquals(Service.entries.toSet(), cases.keys)
        assertEquals(serviceNames().size, Service.entries.size)
    }

    @Test
    fun nimbusVerifiesEveryService() {
        val signer = Signer.generate("ABC123DEFG")
        for ((service, case) in cases) {
            val before = System.currentTimeMillis() / 1000
            val token = signer.signToken(service, case.claims)
            val after = System.currentTimeMillis() / 1000
            val jws = Fixtures.nimbusVerified(token, signer.publicKeyPem())
            assertEquals(JWSAlgorithm.ES256, jws.header.algorithm, "$service")
            val header = JSONObjectUtils.parse(jws.header.toString()).toMutableMap()
            assertEquals(mapOf("alg" to "ES256", "kid" to "ABC123DEFG") + case.header, header, "$service")

            val payload = jws.payload.toJSONObject().toMutableMap()
            val iat = (payload.remove("iat") as Number).toLong()
            assertTrue(iat in (before - 60)..(after - 60), "$service: iat back-dated by 60 s")
            val exp = (payload.remove("exp") as Number?)?.toLong()
            if (service == Service.APNS || service == Service.DEVICE_CHECK) {
                assertNull(exp, "$service has no exp")
            } else {
                assertEquals(case.claims.ttl, exp!! - iat, "$service")
            }
            assertEquals(case.payload, payload, "$service")
        }
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
}
