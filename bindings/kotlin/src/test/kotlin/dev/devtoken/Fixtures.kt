package dev.devtoken

import com.nimbusds.jose.JWSObject
import com.nimbusds.jose.crypto.ECDSAVerifier
import com.nimbusds.jose.util.JSONObjectUtils
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.security.KeyFactory
import java.security.interfaces.ECPublicKey
import java.security.spec.X509EncodedKeySpec
import java.util.Base64

/** Paths and helpers shared by the tests. */
object Fixtures {
    val workspace: Path = Paths.get(System.getProperty("devtoken.workspace", "../..")).toAbsolutePath().normalize()
    val keys: Path = workspace.resolve("tests/vectors/keys")

    @Suppress("UNCHECKED_CAST")
    val vectors: Map<String, Any?> =
        JSONObjectUtils.parse(Files.readString(workspace.resolve("tests/vectors/tokens.json"))) as Map<String, Any?>

    @Suppress("UNCHECKED_CAST")
    fun cases(name: String): List<Map<String, Any?>> = vectors[name] as List<Map<String, Any?>>

    /** The cross-language error contract: bad inputs with the kind, field and rule they must give. */
    @Suppress("UNCHECKED_CAST")
    val errorCases: List<Map<String, Any?>> =
        (JSONObjectUtils.parse(Files.readString(workspace.resolve("tests/vectors/errors.json"))) as Map<String, Any?>)
            .get("cases")
            as List<Map<String, Any?>>

    @Suppress("UNCHECKED_CAST")
    val vectorKey: Map<String, Any?> = vectors["key"] as Map<String, Any?>

    /** A vector's `claims` object as [Claims] (the JSON names are the core's field names). */
    @Suppress("UNCHECKED_CAST")
    fun claimsFrom(json: Map<String, Any?>): Claims =
        Claims(
            issuer = json["issuer"] as String?,
            issuedAt = (json["issued_at"] as Number?)?.toLong(),
            expiresAt = (json["expires_at"] as Number?)?.toLong(),
            ttl = (json["ttl"] as Number?)?.toLong(),
            origins = (json["origins"] as List<String>?) ?: emptyList(),
            bundleId = json["bundle_id"] as String?,
            subject = json["subject"] as String?,
            scope = (json["scope"] as List<String>?) ?: emptyList(),
            jwtId = json["jwt_id"] as String?,
        )

    /**
     * A signer over the vectors' key with [case]'s key id (the file's when it has none: the OAuth
     * services take a UUID) and clock skew (the core's default when it has none).
     */
    fun vectorSigner(case: Map<String, Any?>, backend: SigningBackend = SigningBackend.FIXED_BASE_COMB): Signer =
        Signer.fromPem(
            vectorKey["pem"] as String,
            vectorKeyId(case),
            (case["clock_skew"] as Number?)?.toLong(),
            backend,
        )

    /** [case]'s own `key_id`, else the vectors' key id. */
    fun vectorKeyId(case: Map<String, Any?>): String = case["key_id"] as String? ?: vectorKey["key_id"] as String

    /** What a vector [case] signs: its service, claims and time. */
    data class VectorRequest(val service: Service, val claims: Claims, val now: Long)

    @Suppress("UNCHECKED_CAST")
    fun vectorRequest(case: Map<String, Any?>): VectorRequest =
        VectorRequest(
            service(case["service"] as String),
            claimsFrom(case["claims"] as Map<String, Any?>),
            (case["now"] as Number).toLong(),
        )

    /** The service whose command-line name is [cliName]. */
    fun service(cliName: String): Service = Service.entries[serviceNames().indexOf(cliName)]

    /** Verifies [token] with Nimbus JOSE+JWT (independent of devtoken); returns the parsed JWS. */
    fun nimbusVerified(token: String, publicKeyPem: String): JWSObject {
        val der =
            Base64.getMimeDecoder().decode(publicKeyPem.lines().filterNot { it.startsWith("-----") }.joinToString(""))
        val key = KeyFactory.getInstance("EC").generatePublic(X509EncodedKeySpec(der)) as ECPublicKey
        val jws = JWSObject.parse(token)
        check(jws.verify(ECDSAVerifier(key))) { "Nimbus rejects the signature of $token" }
        return jws
    }
}
