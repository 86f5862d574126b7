package dev.devtoken

import com.nimbusds.jose.JWSObject
import com.nimbusds.jose.crypto.ECDSAVerifier
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyFactory
import java.security.interfaces.ECPublicKey
import java.security.spec.X509EncodedKeySpec
import java.util.Base64

/**
 * Signer.fromPkcs11 against SoftHSM2 (tests/pkcs11/setup.sh): Apple's test key exists only inside
 * the token; its tokens verify with Nimbus JOSE+JWT against the public half of Apple's `.p8`, and
 * a wrong PIN, a missing key and a P-384 key each give an [ExternalSignerException]. Without the
 * fixture's variables the tests are skipped, except under CI=true, where they fail.
 */
class Pkcs11Test {
    private val env = System.getenv()

    /** A `pkcs11:` URI for [path] on the fixture's module, with [pinFile] (the fixture's PIN by default). */
    private fun uri(path: String, pinFile: String? = null): String {
        val module = env["DEVTOKEN_PKCS11_MODULE"]
        val fixturePin = env["DEVTOKEN_PKCS11_PIN_FILE"]
        if (module == null || fixturePin == null || env["SOFTHSM2_CONF"] == null) {
            val why = "no SoftHSM2 fixture: install Debian's softhsm2 and run `eval \"\$(bash tests/pkcs11/setup.sh)\"`"
            if (env["CI"] == "true") fail("$why (required under CI=true)")
            println("SKIPPED Pkcs11Test: $why")
            assumeTrue(false, why)
        }
        return "pkcs11:$path?module-path=$module&pin-source=file:${pinFile ?: fixturePin}"
    }

    /** The public half of Apple's test key, read by the JDK from the `.p8` (its last 65 bytes are the point). */
    private fun applePublicKey(): ECPublicKey {
        val p8 =
            env["DEVTOKEN_APPLE_TEST_KEY"]?.let(Path::of)
                ?: Fixtures.workspace.resolve("../shared/fixtures/apple-testSigningKey.p8")
        val der =
            Base64.getMimeDecoder().decode(
                Files.readAllLines(p8).filterNot { it.startsWith("-----") }.joinToString(""),
            )
        val spkiPrefix = "3059301306072a8648ce3d020106082a8648ce3d030107034200".chunked(2).map { it.toInt(16).toByte() }
        val spki = spkiPrefix.toByteArray() + der.copyOfRange(der.size - 65, der.size)
        return KeyFactory.getInstance("EC").generatePublic(X509EncodedKeySpec(spki)) as ECPublicKey
    }

    private fun failure(uri: String, keyId: String? = null): ExternalSignerException =
        assertThrows<ExternalSignerException> { Signer.fromPkcs11(uri, keyId) }.also {
            assertEquals("external_signer", it.kind)
            assertEquals("signer", it.field)
        }

    @Test
    fun tokensSignedInsideSoftHsmVerifyWithNimbusAgainstApplesPublicKey() {
        val apple = applePublicKey()
        val byLabel = Signer.fromPkcs11(uri("token=devtoken;object=AuthKey_ABC123DEFG"))
        assertEquals("ABC123DEFG", byLabel.keyId)
        val byId = Signer.fromPkcs11(uri("token=devtoken;id=%01"), keyId = "ABC123DEFG")
        val signed = StringBuilder()
        for ((signer, service) in listOf(byLabel to Service.APNS, byId to Service.APPLE_MUSIC)) {
            val token = signer.signToken(service, Claims(issuer = "DEF123GHIJ"))
            val jws = JWSObject.parse(token)
            assertTrue(jws.verify(ECDSAVerifier(apple)), "Nimbus rejects $token")
            assertEquals("ABC123DEFG", jws.header.keyID)
            assertEquals("DEF123GHIJ", jws.payload.toJSONObject()["iss"])
            signed.append("$service\t$token\n")
        }
        // For PyJWT too, after the suites (tests/pkcs11/verify_with_pyjwt.py in tests/run-all.sh).
        val out = Fixtures.workspace.resolve("target/pkcs11-tokens")
        Files.createDirectories(out)
        Files.writeString(out.resolve("kotlin.tsv"), signed)
        // A provider over the HSM signs once and caches.
        TokenProvider(byLabel, Service.APNS, Claims(issuer = "DEF123GHIJ")).use { apns ->
            assertEquals(apns.token(), apns.token())
            assertEquals(1L, apns.signatureCount)
        }
    }

    @Test
    fun aMissingKeyAndAP384KeyAreExternalSignerErrors() {
        assertEquals("key_not_found", failure(uri("token=devtoken;object=AuthKey_NOSUCHKEY0")).rule)
        assertEquals("wrong_curve", failure(uri("token=devtoken;object=P384Key"), "ABC123DEFG").rule)
        // Without a key id, a label that is not AuthKey_<KEYID> is refused before any key is used.
        assertEquals("config", failure(uri("token=devtoken;object=P384Key")).rule)
    }

    @Test
    fun aWrongPinIsAnExternalSignerErrorThatDoesNotShowThePin(@TempDir dir: Path) {
        // Token devtoken-pin: no other test logs in to it (a login lasts as long as the process).
        val wrongPin = Files.writeString(dir.resolve("wrong-pin"), "not-the-pin\n")
        val error = failure(uri("token=devtoken-pin;object=AuthKey_ABC123DEFG", wrongPin.toString()))
        assertEquals("pin_incorrect", error.rule)
        assertFalse(error.message!!.contains("not-the-pin"), error.message)
    }
}
