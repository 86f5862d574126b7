package dev.devtoken

import dev.devtoken.ffi.DigestSignerException
import dev.devtoken.ffi.ExternalDigestSigner
import dev.devtoken.ffi.TokenException
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong

/**
 * A key devtoken never holds: a cloud KMS, an HSM, Vault's transit engine, any code of yours.
 * devtoken hashes what it signs with SHA-256 and passes the 32-byte digest to [signDigest], which
 * returns the ECDSA P-256 signature of that digest as it is (no second hashing), in DER or as
 * 64 bytes r||s. [Signer.fromExternal] checks every answer against the public key it was given
 * before a token is returned: a signature by another key is an [ExternalSignerException] with rule
 * `wrong_key`, bytes that are no signature give `signature_shape`, and anything [signDigest]
 * throws gives `failed` with the exception's class and message in the sentence.
 *
 * With a JDK key, sign the digest with `NONEwithECDSA` (its answer is DER). `SHA256withECDSA`
 * would hash the digest once more and sign something else, which is refused as `wrong_key`. A
 * KMS takes the digest as such (AWS KMS: `MessageType=DIGEST`, `SigningAlgorithm=ECDSA_SHA_256`).
 *
 * ```kotlin
 * val signer = Signer.fromExternal(publicKeyPem, "ABC123DEFG") { digest ->
 *     Signature.getInstance("NONEwithECDSA").run {
 *         initSign(privateKey)
 *         update(digest)
 *         sign()
 *     }
 * }
 * ```
 *
 * [signDigest] runs on a thread devtoken starts for the call, at most the signer's timeout is
 * waited for it, and calls for tokens signed at the same time overlap: make it thread-safe.
 * Tokens are not deterministic, as the signer picks its own nonces.
 */
fun interface ExternalSigner {
    /**
     * The ECDSA P-256 signature (DER or 64 bytes r||s) of the SHA-256 [digest], not hashed again.
     * May throw anything, checked exceptions from Java included: the error is then rule `failed`.
     */
    @Throws(Exception::class)
    fun signDigest(digest: ByteArray): ByteArray
}

/**
 * [signer] as the uniffi callback: whatever it throws becomes the declared error with the
 * throwable's text, which the core reports as rule `failed`. Every [Throwable] is caught, not only
 * the [Exception]s uniffi's generated code catches, so none escapes into JNA's callback thread.
 * The throwable is kept under a fresh handle that travels through the core with the error, until
 * [thrownFor] hands it to the [ExternalSignerException] that carries that handle.
 */
internal class ForeignDigestSigner(private val signer: ExternalSigner) : ExternalDigestSigner {
    override fun signDigest(digest: ByteArray): ByteArray =
        try {
            signer.signDigest(digest)
        } catch (thrown: Throwable) {
            val handle = nextHandle.incrementAndGet().toULong()
            // Bounded: a call already past its timeout never collects what it threw, so only the
            // latest MAX_KEPT throwables are kept.
            kept.keys.removeIf { it + MAX_KEPT.toULong() <= handle }
            kept[handle] = thrown
            throw DigestSignerException.Failed(thrown.toString(), handle)
        }

    companion object {
        private const val MAX_KEPT = 64
        private val nextHandle = AtomicLong()
        private val kept = ConcurrentHashMap<ULong, Throwable>()

        /** The throwable whose handle [error] carries, removed from the kept ones; null if none. */
        fun thrownFor(error: TokenException.ExternalSigner): Throwable? =
            if (error.causeHandle == 0UL) null else kept.remove(error.causeHandle)
    }
}
