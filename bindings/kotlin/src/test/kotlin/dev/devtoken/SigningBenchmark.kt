package dev.devtoken

import com.nimbusds.jose.JOSEObjectType
import com.nimbusds.jose.JWSAlgorithm
import com.nimbusds.jose.JWSHeader
import com.nimbusds.jose.crypto.ECDSASigner
import com.nimbusds.jwt.JWTClaimsSet
import com.nimbusds.jwt.SignedJWT
import java.security.KeyFactory
import java.security.interfaces.ECPrivateKey
import java.security.spec.PKCS8EncodedKeySpec
import java.util.Base64
import java.util.Date

/**
 * Not a test: `mvn -Pbench verify` times, in one run, devtoken `signToken` against Nimbus
 * JOSE+JWT ES256 signing of the same header and claims with the same key, and prints the medians.
 */
object SigningBenchmark {
    private const val NOW = 1_700_000_000L
    private const val ISSUER = "57246542-96fe-1a63-e053-0824d011072a"

    private fun medianMicros(rounds: Int, perRound: Int, op: () -> Unit): Double {
        repeat(perRound * 3) { op() } // warm-up: JIT and caches
        val samples =
            (1..rounds).map {
                val start = System.nanoTime()
                repeat(perRound) { op() }
                (System.nanoTime() - start) / 1000.0 / perRound
            }
        return samples.sorted()[rounds / 2]
    }

    @JvmStatic
    fun main(args: Array<String>) {
        val rounds = args.getOrNull(0)?.toInt() ?: 15
        val perRound = args.getOrNull(1)?.toInt() ?: 400
        val pem = generatePrivateKeyPem()
        val signer = Signer.fromPem(pem, "ABC123DEFG")
        val claims = Claims(issuer = ISSUER, issuedAt = NOW, ttl = 300, bundleId = "com.example.app")

        val der = Base64.getMimeDecoder().decode(pem.lines().filterNot { it.startsWith("-----") }.joinToString(""))
        val privateKey = KeyFactory.getInstance("EC").generatePrivate(PKCS8EncodedKeySpec(der)) as ECPrivateKey
        val nimbusSigner = ECDSASigner(privateKey)
        val header = JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ABC123DEFG").type(JOSEObjectType.JWT).build()
        val claimsSet =
            JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .issueTime(Date(NOW * 1000))
                .expirationTime(Date((NOW + 300) * 1000))
                .audience("appstoreconnect-v1")
                .claim("bid", "com.example.app")
                .build()

        val devtoken = medianMicros(rounds, perRound) { signer.signToken(Service.APP_STORE_SERVER, claims, now = NOW) }
        val stockSigner = Signer.fromPem(pem, "ABC123DEFG", backend = SigningBackend.STOCK_P256)
        val stock = medianMicros(rounds, perRound) { stockSigner.signToken(Service.APP_STORE_SERVER, claims, now = NOW) }
        if (args.getOrNull(2) == "devtoken-only") {
            // For a profiler (perf, JFR): nothing but devtoken signing.
            println("devtoken signToken             %8.1f µs".format(devtoken))
            return
        }
        val nimbus =
            medianMicros(rounds, perRound / 4) {
                SignedJWT(header, claimsSet).apply { sign(nimbusSigner) }.serialize()
            }
        // A cached provider token: the lean path's crossing plus a lock-free read.
        val provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"))
        val cachedToken = medianMicros(rounds, perRound * 10) { provider.token() }
        // The cost of crossing uniffi + JNA alone: a call that returns a short string.
        val ffiRoundTrip = medianMicros(rounds, perRound * 10) { signer.keyId }
        // The lean path's own crossing: an unknown signer id is refused before any work.
        val request = ByteArray(64)
        val out = ByteArray(2048)
        val leanRoundTrip =
            medianMicros(rounds, perRound * 10) { LeanCalls.devtoken_lean_sign_token(0, request, request.size, out, out.size) }
        val java = System.getProperty("java.runtime.version")
        println("JDK $java; medians of $rounds rounds")
        println("devtoken signToken             %8.1f µs".format(devtoken))
        println("devtoken signToken, stock p256 %8.1f µs".format(stock))
        println("Nimbus JOSE+JWT ES256 sign     %8.1f µs".format(nimbus))
        println("Nimbus / devtoken              %8.2f".format(nimbus / devtoken))
        println("Nimbus / devtoken stock p256   %8.2f".format(nimbus / stock))
        println("TokenProvider.token(), cached  %8.2f µs".format(cachedToken))
        println("uniffi/JNA round trip (keyId)  %8.1f µs".format(ffiRoundTrip))
        println("lean JNA round trip            %8.2f µs".format(leanRoundTrip))
    }
}
