package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The lean JNA path that `Signer.signToken` takes first: it signs exactly what the uniffi path
 * signs, and declines (so the uniffi path reports the typed error) whenever it cannot.
 */
class LeanCallsTest {
    private val signer = Signer.fromPem(Fixtures.vectorKey["pem"] as String, Fixtures.vectorKey["key_id"] as String)

    @Test
    fun `every C symbol LeanCalls declares by hand exists in the built library`() {
        val source = Fixtures.workspace.resolve("bindings/kotlin/src/main/kotlin/dev/devtoken/LeanCalls.kt")
        val declared =
            Regex("""external fun (\w+)\(""")
                .findAll(java.nio.file.Files.readString(source))
                .map { it.groupValues[1] }
                .toList()
        val exported =
            LeanCalls::class.java.declaredMethods
                .filter { java.lang.reflect.Modifier.isNative(it.modifiers) }
                .map { it.name }
        assertEquals(declared.sorted(), exported.sorted())
        assertEquals(
            listOf("devtoken_lean_maps_access_token", "devtoken_lean_provider_token", "devtoken_lean_sign_token"),
            declared.sorted(),
        )
        val library = com.sun.jna.NativeLibrary.getInstance("devtoken")
        for (name in declared) {
            // Throws UnsatisfiedLinkError when the symbol is missing or renamed.
            library.getFunction(name)
        }
    }

    @Test
    fun `every token vector comes from the lean path, byte for byte`() {
        for (case in Fixtures.cases("tokens")) {
            val vectorSigner = Fixtures.vectorSigner(case)
            val (service, claims, now) = Fixtures.vectorRequest(case)
            val lean = LeanCalls.signToken(vectorSigner.leanCallId, service, claims, now)
            assertEquals(case["token"], lean, case["name"] as String)
            assertEquals(vectorSigner.native.signTokenAt(service, claims, now), lean)
        }
    }

    @Test
    fun `a broken rule declines, and signToken still throws the typed error`() {
        for (case in Fixtures.errorCases.filter { it["op"] == "sign" }) {
            val (service, claims, now) = Fixtures.vectorRequest(case)
            val signer = Signer.fromPem(Fixtures.vectorKey["pem"] as String, Fixtures.vectorKeyId(case))
            assertNull(LeanCalls.signToken(signer.leanCallId, service, claims, now), case["name"] as String)
            assertThrows<InvalidClaimsException> { signer.signToken(service, claims, now) }
            signer.close()
        }
    }

    @Test
    fun `the system clock is used when no time is given`() {
        val claims = Claims(issuer = "57246542-96fe-1a63-e053-0824d011072a", ttl = 600, bundleId = "com.example.app")
        val token = LeanCalls.signToken(signer.leanCallId, Service.APP_STORE_SERVER, claims, null)!!
        val payload = Fixtures.nimbusVerified(token, signer.publicKeyPem()).payload.toJSONObject()
        val iat = (payload["iat"] as Number).toLong()
        assert(kotlin.math.abs(iat + 60 - System.currentTimeMillis() / 1000) < 30) { "iat $iat" }
    }

    @Test
    fun `an unknown or closed signer declines, and the closed one then fails loudly`() {
        val closing = Signer.generate("ABC123DEFG")
        val id = closing.leanCallId
        val claims = Claims(issuer = "DEF123GHIJ", ttl = 600)
        assertNotEquals(null, LeanCalls.signToken(id, Service.APPLE_MUSIC, claims, 1_700_000_000))
        closing.close()
        assertNull(LeanCalls.signToken(id, Service.APPLE_MUSIC, claims, 1_700_000_000))
        assertNull(LeanCalls.signToken(0, Service.APPLE_MUSIC, claims, 1_700_000_000))
        assertNull(LeanCalls.signToken(Long.MAX_VALUE, Service.APPLE_MUSIC, claims, 1_700_000_000))
        assertThrows<IllegalStateException> { closing.signToken(Service.APPLE_MUSIC, claims, 1_700_000_000) }
    }

    @Test
    fun `a token longer than the lean buffer is signed by the uniffi path`() {
        val scope = (1..500).map { "scope-$it" }
        val claims = Claims(issuer = "DEF123GHIJ", ttl = 600, scope = scope)
        assertNull(LeanCalls.signToken(signer.leanCallId, Service.MAPS, claims, 1_700_000_000))
        val token = signer.signToken(Service.MAPS, claims, 1_700_000_000)
        val payload = Fixtures.nimbusVerified(token, signer.publicKeyPem()).payload.toJSONObject()
        assertEquals(scope.joinToString(" "), payload["scope"])
    }

    @Test
    fun `a provider's cached token comes from the lean path and is signed once`() {
        val clock = ManualClock(1_700_000_000)
        val provider = TokenProvider(signer, Service.APNS, Claims(issuer = "DEF123GHIJ"), clock = clock)
        val first = LeanCalls.providerToken(provider.leanCallId)!!
        repeat(100) { assertEquals(first, LeanCalls.providerToken(provider.leanCallId)) }
        assertEquals(first, provider.token())
        assertEquals(1L, provider.signatureCount)
        Fixtures.nimbusVerified(first, signer.publicKeyPem())
        clock.advance(2401)
        assertNotEquals(first, LeanCalls.providerToken(provider.leanCallId))
        assertEquals(2L, provider.signatureCount)
        val id = provider.leanCallId
        provider.close()
        assertNull(LeanCalls.providerToken(id))
        assertThrows<IllegalStateException> { provider.token() }
    }
}
