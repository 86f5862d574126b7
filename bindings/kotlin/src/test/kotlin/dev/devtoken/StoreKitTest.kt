package dev.devtoken

import com.nimbusds.jose.util.JSONArrayUtils
import com.nimbusds.jose.util.JSONObjectUtils
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.security.KeyFactory
import java.security.Signature
import java.security.spec.X509EncodedKeySpec
import java.util.Base64
import java.util.UUID

/**
 * StoreKit in-app signatures from Kotlin: `tests/vectors/storekit.json` byte for byte (JWS kinds
 * checked by Nimbus, V1 by the JDK's SHA256withECDSA), `tests/vectors/storekit_errors.json`
 * refused with the core's kind, field and rule, and the V1 check.
 */
class StoreKitTest {
    /** What a kind signs: a compact JWS or a V1 signature. */
    private sealed interface Signed {
        data class Jws(val token: String) : Signed

        data class V1(val signed: PromotionalOfferV1Signature) : Signed
    }

    private fun Map<String, Any?>.str(name: String): String = this[name] as String

    private fun Map<String, Any?>.optStr(name: String): String? = this[name] as String?

    private fun signer(case: Map<String, Any?>, backend: SigningBackend = SigningBackend.FIXED_BASE_COMB): Signer {
        val key = case.obj("key")
        return Signer.fromPem(key.str("pem"), key.str("key_id"), backend = backend)
    }

    /** Signs [given] (a vector's input; optional members may be absent) as [kind]. */
    private fun sign(signer: Signer, kind: String, given: Map<String, Any?>, now: Long?): Signed =
        when (kind) {
            "promotional-offer" ->
                Signed.Jws(
                    signer.promotionalOffer(
                        PromotionalOffer(
                            issuerId = given.str("issuer_id"),
                            bundleId = given.str("bundle_id"),
                            productId = given.str("product_id"),
                            offerId = given.str("offer_id"),
                            transactionId = given.optStr("transaction_id"),
                            nonce = given.optStr("nonce"),
                        ),
                        now,
                    ),
                )
            "intro-eligibility" ->
                Signed.Jws(
                    signer.introOfferEligibility(
                        IntroOfferEligibility(
                            issuerId = given.str("issuer_id"),
                            bundleId = given.str("bundle_id"),
                            productId = given.str("product_id"),
                            allowIntroductoryOffer = given["allow_introductory_offer"] as Boolean,
                            transactionId = given.str("transaction_id"),
                            nonce = given.optStr("nonce"),
                        ),
                        now,
                    ),
                )
            "advanced-commerce" ->
                Signed.Jws(
                    signer.advancedCommerceRequest(
                        AdvancedCommerceRequest(
                            issuerId = given.str("issuer_id"),
                            bundleId = given.str("bundle_id"),
                            request = given.str("request").toByteArray(Charsets.UTF_8),
                            nonce = given.optStr("nonce"),
                        ),
                        now,
                    ),
                )
            "promotional-offer-v1" -> Signed.V1(signer.promotionalOfferV1(v1Offer(given)))
            else -> error("unknown kind $kind")
        }

    private fun v1Offer(given: Map<String, Any?>): PromotionalOfferV1 =
        PromotionalOfferV1(
            bundleId = given.str("bundle_id"),
            productId = given.str("product_id"),
            offerId = given.str("offer_id"),
            applicationUsername = given.optStr("application_username"),
            nonce = given.optStr("nonce"),
            timestampMs = (given["timestamp_ms"] as Number?)?.toLong(),
        )

    private fun jdkVerifiesDer(publicKeyPem: String, message: String, signatureB64: String): Boolean {
        val der =
            Base64.getMimeDecoder().decode(publicKeyPem.lines().filterNot { it.startsWith("-----") }.joinToString(""))
        val key = KeyFactory.getInstance("EC").generatePublic(X509EncodedKeySpec(der))
        val verifier = Signature.getInstance("SHA256withECDSA")
        verifier.initVerify(key)
        verifier.update(message.toByteArray(Charsets.UTF_8))
        return verifier.verify(Base64.getDecoder().decode(signatureB64))
    }

    @Test
    fun everyKindHasAVectorAndErrorCases() {
        val kinds = setOf("promotional-offer", "intro-eligibility", "advanced-commerce", "promotional-offer-v1")
        assertEquals(kinds, vectors.map { it["kind"] }.toSet())
        assertEquals(kinds, errorCases.map { it["kind"] }.toSet())
    }

    @TestFactory
    fun storeKitVectorsAreReproducedByteForByte(): List<DynamicTest> =
        vectors.flatMap { case ->
            SigningBackend.entries.map { backend ->
                DynamicTest.dynamicTest("${case["name"]} ($backend)") {
                    signer(case, backend).use { signer ->
                        val now = (case["now"] as Number?)?.toLong()
                        when (val signed = sign(signer, case.str("kind"), case.obj("input"), now)) {
                            is Signed.Jws -> {
                                assertEquals(case["token"], signed.token)
                                val jws = Fixtures.nimbusVerified(signed.token, signer.publicKeyPem())
                                assertEquals(case.obj("payload"), jws.payload.toJSONObject())
                                assertEquals(case.obj("header"), jws.header.toJSONObject())
                            }
                            is Signed.V1 -> {
                                assertEquals(case["signature"], signed.signed.signature)
                                assertEquals(case["nonce"], signed.signed.nonce)
                                assertEquals((case["timestamp_ms"] as Number).toLong(), signed.signed.timestampMs)
                                assertEquals(signer.keyId, signed.signed.keyId)
                                val message = case.str("signed_string")
                                assertTrue(jdkVerifiesDer(signer.publicKeyPem(), message, signed.signed.signature))
                            }
                        }
                    }
                }
            }
        }

    @TestFactory
    fun everyBadStoreKitInputGivesTheCoresFieldAndRule(): List<DynamicTest> =
        errorCases.map { case ->
            DynamicTest.dynamicTest(case.str("name")) {
                val vector = vectors.first { it["kind"] == case["kind"] }
                val given = vector.obj("input").toMutableMap()
                for ((member, value) in case.obj("change")) {
                    if (value == null) given.remove(member) else given[member] = value
                }
                val expect = case.obj("expect")
                val error =
                    assertThrows<InvalidClaimsException> {
                        signer(vector).use { sign(it, case.str("kind"), given, (vector["now"] as Number?)?.toLong()) }
                    }
                assertEquals(expect["kind"], error.kind, error.message)
                assertEquals(expect["field"], error.field, error.message)
                assertEquals(expect["rule"], error.rule, error.message)
            }
        }

    @Test
    fun v1CheckAcceptsTheVectorAndRefusesAnyChange() {
        val case = vectors.first { it["kind"] == "promotional-offer-v1" }
        val offer = v1Offer(case.obj("input"))
        val keyId = case.obj("key").str("key_id")
        val publicKey = signer(case).use { it.publicKeyPem() }
        val signature = case.str("signature")
        assertTrue(verifyPromotionalOfferV1(offer, keyId, signature, publicKey))
        assertFalse(verifyPromotionalOfferV1(offer.copy(offerId = "SAVE60"), keyId, signature, publicKey))
        assertFalse(verifyPromotionalOfferV1(offer, "OTHERKEY01", signature, publicKey))
        assertFalse(verifyPromotionalOfferV1(offer, keyId, "not base64 DER", publicKey))
        val error =
            assertThrows<InvalidClaimsException> {
                verifyPromotionalOfferV1(offer.copy(nonce = null), keyId, signature, publicKey)
            }
        assertEquals("nonce" to "required", error.field to error.rule)
    }

    @Test
    fun leftOutFieldsTakeTheCoresDefaults() {
        Signer.generate("ABC123DEFG").use { signer ->
            val before = System.currentTimeMillis()
            val offer =
                PromotionalOfferV1(bundleId = "com.example.app", productId = "com.example.monthly", offerId = "SAVE50")
            val first = signer.promotionalOfferV1(offer)
            val second = signer.promotionalOfferV1(offer)
            assertNotEquals(first.nonce, second.nonce)
            assertEquals(4, UUID.fromString(first.nonce).version())
            assertTrue(first.timestampMs >= before && second.timestampMs >= first.timestampMs)
            val token =
                signer.promotionalOffer(
                    PromotionalOffer(ISSUER, "com.example.app", "com.example.monthly", "SAVE50"),
                )
            val claims = Fixtures.nimbusVerified(token, signer.publicKeyPem()).payload.toJSONObject()
            assertEquals(4, UUID.fromString(claims["nonce"] as String).version())
            assertFalse("exp" in claims || "transactionId" in claims)
            assertTrue((claims["iat"] as Number).toLong() >= before / 1000 - 1)
        }
    }

    private companion object {
        const val ISSUER = "57246542-96fe-1a63-e053-0824d011072a"

        @Suppress("UNCHECKED_CAST")
        fun Map<String, Any?>.obj(name: String): Map<String, Any?> = this[name] as Map<String, Any?>

        @Suppress("UNCHECKED_CAST")
        val vectors: List<Map<String, Any?>> =
            JSONArrayUtils.parse(
                Files.readString(Fixtures.workspace.resolve("tests/vectors/storekit.json")),
            ) as List<Map<String, Any?>>

        @Suppress("UNCHECKED_CAST")
        val errorCases: List<Map<String, Any?>> =
            JSONObjectUtils.parse(
                Files.readString(Fixtures.workspace.resolve("tests/vectors/storekit_errors.json")),
            )["cases"]
                as List<Map<String, Any?>>
    }
}
