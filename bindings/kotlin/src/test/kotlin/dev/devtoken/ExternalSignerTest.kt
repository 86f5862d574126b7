package dev.devtoken

import com.nimbusds.jose.JWSObject
import com.nimbusds.jose.crypto.ECDSAVerifier
import com.nimbusds.jose.crypto.impl.ECDSA
import dev.devtoken.ffi.TokenException
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.time.Duration
import java.util.Base64
import java.util.Collections
import java.util.IdentityHashMap
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * Signers written in Kotlin over a JDK key (the independent signer): their DER and raw r||s
 * answers make tokens Nimbus JOSE+JWT verifies with the JDK's public key, and a wrong key,
 * garbage, an exception or a hang each give an [ExternalSignerException] naming the cause.
 */
class ExternalSignerTest {
    private val music = Claims(issuer = "DEF123GHIJ", ttl = 3600)

    private fun jdkKeyPair(): KeyPair =
        KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()

    private fun pem(pair: KeyPair): String =
        "-----BEGIN PUBLIC KEY-----\n" +
            Base64.getMimeEncoder(64, "\n".toByteArray()).encodeToString(pair.public.encoded) +
            "\n-----END PUBLIC KEY-----\n"

    /** The JDK's ECDSA of [data] with [algorithm] (`NONEwithECDSA`: [data] is the digest), in DER. */
    private fun jdkSign(key: PrivateKey, data: ByteArray, algorithm: String = "NONEwithECDSA"): ByteArray =
        Signature.getInstance(algorithm).run {
            initSign(key)
            update(data)
            sign()
        }

    /** Verifies [token] with Nimbus against the JDK's own public key object. */
    private fun nimbusVerified(token: String, pair: KeyPair): JWSObject {
        val jws = JWSObject.parse(token)
        assertTrue(jws.verify(ECDSAVerifier(pair.public as ECPublicKey)), "Nimbus rejects $token")
        return jws
    }

    private fun externalFailure(signer: ExternalSigner, pair: KeyPair = jdkKeyPair()): ExternalSignerException =
        assertThrows<ExternalSignerException> {
            Signer.fromExternal(pem(pair), "ABC123DEFG", signer = signer).signToken(Service.APPLE_MUSIC, music)
        }.also {
            assertEquals("external_signer", it.kind)
            assertEquals("signer", it.field)
        }

    @Test
    fun derAnswersFromNoneWithEcdsaMakeTokensNimbusVerifies() {
        val pair = jdkKeyPair()
        val signer = Signer.fromExternal(pem(pair), "ABC123DEFG") { digest -> jdkSign(pair.private, digest) }
        val token = signer.signToken(Service.APPLE_MUSIC, music, now = 1_700_000_000)
        val jws = nimbusVerified(token, pair)
        assertEquals("ABC123DEFG", jws.header.keyID)
        val claims = jws.payload.toJSONObject()
        assertEquals(3600L, (claims["exp"] as Number).toLong() - (claims["iat"] as Number).toLong())
        verifyToken(token, signer.publicKeyPem())
        // The JDK picks a random nonce: valid tokens, not byte-identical ones.
        assertNotEquals(token, signer.signToken(Service.APPLE_MUSIC, music, now = 1_700_000_000))
        assertTrue(signer.toString().contains("ABC123DEFG"))
    }

    @Test
    fun rawRsAnswersWork() {
        val pair = jdkKeyPair()
        val signer =
            Signer.fromExternal(pem(pair), "ABC123DEFG") { digest ->
                ECDSA.transcodeSignatureToConcat(jdkSign(pair.private, digest), 64)
            }
        nimbusVerified(signer.signToken(Service.APPLE_MUSIC, music), pair)
    }

    @Test
    fun sha256WithEcdsaHashesTheDigestAgainAndIsRefusedAsWrongKey() {
        val pair = jdkKeyPair()
        val error = externalFailure({ digest -> jdkSign(pair.private, digest, "SHA256withECDSA") }, pair)
        assertEquals("wrong_key", error.rule)
    }

    @Test
    fun anotherKeysSignatureIsWrongKey() {
        val other = jdkKeyPair()
        val error = externalFailure({ digest -> jdkSign(other.private, digest) })
        assertEquals("wrong_key", error.rule)
        assertTrue(error.message!!.contains("declared public key"), error.message)
    }

    @Test
    fun garbageIsSignatureShape() {
        for (garbage in listOf(ByteArray(0), "not a signature".toByteArray(), ByteArray(64), ByteArray(72) { 0x30 })) {
            assertEquals("signature_shape", externalFailure({ garbage }).rule, garbage.size.toString())
        }
    }

    @Test
    fun aThrowingSignerIsFailedWithItsMessageAndCalledOnce() {
        val calls = AtomicInteger()
        val thrown = IllegalStateException("KMS said no")
        val error = externalFailure({
            calls.incrementAndGet()
            throw thrown
        })
        assertEquals("failed", error.rule)
        assertSame(thrown, error.cause)
        assertTrue(error.message!!.contains("java.lang.IllegalStateException: KMS said no"), error.message)
        // Not once more for the lean call that Kotlin makes for in-memory keys.
        assertEquals(1, calls.get())
        // An Error, which uniffi's generated code would not catch, is a failure like any other.
        val fatal = externalFailure({ throw AssertionError("HSM unplugged") })
        assertEquals("failed", fatal.rule)
        assertTrue(fatal.message!!.contains("HSM unplugged"), fatal.message)
        assertTrue(fatal.cause is AssertionError)
        // Through a provider too; a failure that threw nothing has no cause.
        val io = java.io.IOException("KMS unreachable")
        val provider =
            TokenProvider(
                Signer.fromExternal(pem(jdkKeyPair()), "ABC123DEFG") { throw io },
                Service.APNS,
                Claims(issuer = "DEF123GHIJ"),
            )
        assertSame(io, assertThrows<ExternalSignerException> { provider.token() }.cause)
        assertNull(externalFailure({ ByteArray(0) }).cause)
    }

    @Test
    fun concurrentFailuresWithTheSameTextEachKeepTheirOwnCause() {
        // Every call throws its own exception with the same text, and none throws before all have
        // started: each error must still carry the very throwable its own call threw.
        val calls = 8
        val started = CountDownLatch(calls)
        val thrown = ConcurrentHashMap.newKeySet<Throwable>()
        val signer =
            Signer.fromExternal(pem(jdkKeyPair()), "ABC123DEFG") {
                started.countDown()
                started.await(5, TimeUnit.SECONDS)
                throw IllegalStateException("KMS said no").also { thrown.add(it) }
            }
        val pool = Executors.newFixedThreadPool(calls)
        try {
            val causes =
                (1..calls)
                    .map {
                        pool.submit<Throwable?> {
                            assertThrows<ExternalSignerException> { signer.signToken(Service.APPLE_MUSIC, music) }.cause
                        }
                    }.map { it.get(30, TimeUnit.SECONDS) }
            assertEquals(calls, thrown.size)
            val distinct = Collections.newSetFromMap(IdentityHashMap<Throwable?, Boolean>())
            distinct.addAll(causes)
            assertEquals(calls, distinct.size, "every call's own throwable, none shared or missing")
            assertTrue(causes.all { cause -> thrown.any { it === cause } })
        } finally {
            pool.shutdownNow()
        }
    }

    @Test
    fun anExceptionThroughUniffisUnexpectedErrorPathIsFailedToo() {
        // The generated interface implemented directly, without this layer's adapter: uniffi
        // reports the exception as an unexpected callback error, which the face maps to `failed`.
        val raw =
            object : dev.devtoken.ffi.ExternalDigestSigner {
                override fun signDigest(digest: ByteArray): ByteArray = throw UnsupportedOperationException("no HSM")
            }
        val error =
            assertThrows<TokenException.ExternalSigner> {
                dev.devtoken.ffi.Signer.fromExternal(pem(jdkKeyPair()), "ABC123DEFG", raw)
                    .signToken(Service.APPLE_MUSIC, music)
            }
        assertEquals("failed", error.rule)
        assertTrue(error.reason.contains("no HSM"), error.reason)
    }

    @Test
    fun aHangingSignerTimesOut() {
        val pair = jdkKeyPair()
        val signer =
            Signer.fromExternal(pem(pair), "ABC123DEFG", timeout = Duration.ofMillis(50)) { digest ->
                Thread.sleep(2_000)
                jdkSign(pair.private, digest)
            }
        assertEquals(Duration.ofMillis(50), signer.externalTimeout)
        val error = assertThrows<ExternalSignerException> { signer.signToken(Service.APPLE_MUSIC, music) }
        assertEquals("timeout", error.rule)
        assertTrue(error.message!!.contains("50 ms"), error.message)
        assertNull(Signer.generate("ABC123DEFG").externalTimeout)
    }

    @Test
    fun optionsAndKeysAreCheckedByTheCore() {
        val pair = jdkKeyPair()
        val zero =
            assertThrows<InvalidOptionException> {
                Signer.fromExternal(pem(pair), "ABC123DEFG", timeout = Duration.ZERO) { it }
            }
        assertEquals("external_timeout" to "range", zero.field to zero.rule)
        assertThrows<InvalidKeyException> { Signer.fromExternal("not a key", "ABC123DEFG") { it } }
        val kid = assertThrows<InvalidClaimsException> { Signer.fromExternal(pem(pair), "short") { it } }
        assertEquals("kid", kid.field)
    }

    @Test
    fun aTokenProviderOverAnExternalSignerCachesItsToken() {
        val pair = jdkKeyPair()
        val calls = AtomicInteger()
        val signer =
            Signer.fromExternal(pem(pair), "ABC123DEFG") { digest ->
                calls.incrementAndGet()
                jdkSign(pair.private, digest)
            }
        TokenProvider(signer, Service.APNS, Claims(issuer = "DEF123GHIJ")).use { apns ->
            val token = apns.token()
            nimbusVerified(token, pair)
            assertEquals(token, apns.token())
            assertEquals(1, calls.get())
            assertEquals(1L, apns.signatureCount)
        }
    }

    @Test
    fun manyThreadsShareOneExternalSigner() {
        val pair = jdkKeyPair()
        val signer = Signer.fromExternal(pem(pair), "ABC123DEFG") { digest -> jdkSign(pair.private, digest) }
        // Four threads: the core refuses a fifth call in flight at once as `busy` (its
        // MAX_HANGING_EXTERNAL_CALLS counts calls that run, not only those past their timeout).
        val tokens = concurrently(4) { (1..25).map { signer.signToken(Service.APPLE_MUSIC, music) } }.flatten()
        assertEquals(100, tokens.toSet().size)
        tokens.forEach { nimbusVerified(it, pair) }
    }
}
