package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Callable
import java.util.concurrent.Executors

/** Keys in every pasted form, precise errors, no key material in text; many threads, one signer. */
class KeysAndThreadsTest {
    private fun pem(name: String): String = Files.readString(Fixtures.keys.resolve(name))

    private fun keyLines(pem: String): List<String> = pem.lines().filter { it.isNotBlank() && !it.startsWith("-----") }

    @Test
    fun pastedFormsLoadTheSameKey() {
        val pem = pem("p256.pem")
        val expected = Signer.fromPem(pem, "ABC123DEFG").publicKeyPem()
        val forms =
            listOf(pem.replace("\n", "\\n"), pem.replace("\n", "\r\n"), pem.replace("\n", " "), pem("p256-sec1.pem"))
        for (form in forms) {
            assertEquals(expected, Signer.fromPem(form, "ABC123DEFG").publicKeyPem())
        }
    }

    @Test
    fun wrongKeysRaiseInvalidKeyException() {
        val expectations =
            mapOf(
                "p256-encrypted.pem" to "encrypted",
                "p256-public.pem" to "public key",
                "p256-cert.pem" to "certificate",
                "p384.pem" to "P-384",
                "secp256k1.pem" to "secp256k1",
                "rsa.pem" to "RSA",
                "ed25519.pem" to "Ed25519",
            )
        for ((name, words) in expectations) {
            val error = assertThrows<InvalidKeyException>(name) { Signer.fromPem(pem(name), "ABC123DEFG") }
            assertTrue(error.message!!.contains(words), "$name: ${error.message}")
        }
        val cut = pem("p256.pem").let { it.substring(0, it.length / 2) }
        val error = assertThrows<InvalidKeyException> { Signer.fromPem(cut, "ABC123DEFG") }
        for (line in keyLines(pem("p256.pem"))) {
            assertFalse(error.message!!.contains(line.take(12)), "key material in ${error.message}")
        }
    }

    @Test
    fun invalidClaimsNameFieldAndRule() {
        val signer = Signer.generate("ABC123DEFG")
        val error =
            assertThrows<InvalidClaimsException> {
                signer.signToken(
                    Service.APP_STORE_SERVER,
                    Claims(issuer = "57246542-96fe-1a63-e053-0824d011072a", bundleId = "com.example.app", ttl = 7200),
                )
            }
        assertEquals("exp is 7200 s after iat; App Store Server API allows at most 3600 s", error.message)
        assertEquals("exp" to "max_lifetime", error.field to error.rule)
        // A UUID key id is the OAuth services'; a service whose kid has 10 characters refuses it.
        val uuidSigner = Signer.generate("57246542-96fe-1a63-e053-0824d011072a")
        val kid =
            assertThrows<InvalidClaimsException> {
                uuidSigner.signToken(
                    Service.APP_STORE_SERVER,
                    Claims(issuer = "57246542-96fe-1a63-e053-0824d011072a", bundleId = "com.example.app"),
                )
            }
        assertEquals("kid" to "format", kid.field to kid.rule)
        assertThrows<InvalidClaimsException> { Signer.generate("ABC123") }
    }

    @Test
    fun keyIdFromFileName(@TempDir dir: Path) {
        val path = dir.resolve("AuthKey_ABC123DEFG.p8")
        Files.copy(Fixtures.keys.resolve("p256.pem"), path)
        assertEquals("ABC123DEFG", Signer.fromFile(path).keyId)
        assertThrows<InvalidClaimsException> { Signer.fromFile(path, "ZZZ999ZZZZ") }
        assertThrows<KeyFileException> { Signer.fromFile(dir.resolve("AuthKey_NOPE000000.p8")) }
    }

    @Test
    fun toStringShowsNoKeyMaterial() {
        val pem = pem("p256.pem")
        val signer = Signer.fromPem(pem, "ABC123DEFG")
        assertEquals("Signer(keyId=ABC123DEFG)", signer.toString())
        for (line in keyLines(pem)) {
            assertFalse(signer.toString().contains(line.take(12)))
        }
    }

    @Test
    fun sixteenThreadsShareOneSigner() {
        val signer = Signer.generate("ABC123DEFG")
        val publicKey = signer.publicKeyPem()
        val pool = Executors.newFixedThreadPool(16)
        try {
            val tasks =
                (0 until 400).map { i ->
                    Callable {
                        i to signer.signToken(Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ", ttl = 600L + i))
                    }
                }
            for (future in pool.invokeAll(tasks)) {
                val (i, token) = future.get()
                val claims = Fixtures.nimbusVerified(token, publicKey).payload.toJSONObject()
                assertEquals(600L + i, (claims["exp"] as Number).toLong() - (claims["iat"] as Number).toLong())
            }
        } finally {
            pool.shutdown()
        }
    }
}
