package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files

/**
 * The cross-language error contract (`tests/vectors/errors.json`): every bad input gives, from
 * Kotlin, exactly the kind, field and rule the core gives in Rust.
 */
class ErrorVectorsTest {
    private val keyPem = Fixtures.vectorKey["pem"] as String
    private val keyId = Fixtures.vectorKey["key_id"] as String

    @Suppress("UNCHECKED_CAST")
    private fun Map<String, Any?>.obj(name: String): Map<String, Any?> =
        (this[name] as Map<String, Any?>?) ?: emptyMap()

    private fun Map<String, Any?>.long(name: String): Long? = (this[name] as Number?)?.toLong()

    private fun network(case: Map<String, Any?>): NetworkOptions {
        val given = case.obj("network")
        return NetworkOptions(
            // Never Apple from a test: a closed loopback port.
            baseUrl = "http://127.0.0.1:9",
            connectTimeoutMs = given.long("connect_timeout_ms"),
            readTimeoutMs = given.long("read_timeout_ms"),
            extraCaPem = given["extra_ca_pem"] as String?,
            maxRetries = given.long("max_retries"),
        )
    }

    /** Runs [case]'s operation, which must fail. */
    @Suppress("UNCHECKED_CAST")
    private fun run(case: Map<String, Any?>) {
        val claims = { Fixtures.claimsFrom(case.obj("claims")) }
        val service = { Fixtures.service(case["service"] as String) }
        when (case["op"]) {
            "sign" ->
                Signer.fromPem(keyPem, case["key_id"] as String? ?: keyId).use {
                    it.signToken(service(), claims(), case.long("now"))
                }
            "load_key" -> {
                val pem =
                    (case["key_file"] as String?)?.let { Files.readString(Fixtures.keys.resolve(it)) }
                        ?: case["pem"] as String
                Signer.fromPem(pem, "VEC0KEY001").close()
            }
            "signer" ->
                Signer.fromPem(keyPem, case["key_id"] as String? ?: keyId, clockSkewSecs = case.long("clock_skew_secs"))
                    .close()
            "decode" -> decodeToken(case["token"] as String)
            "verify" -> {
                val publicKey =
                    case["public_key_pem"] as String? ?: Signer.fromPem(keyPem, keyId).use { it.publicKeyPem() }
                verifyToken(case["token"] as String, publicKey)
            }
            "provider" -> {
                val given = case.obj("options")
                val options =
                    ProviderOptions(
                        marginFraction = (given["margin_fraction"] as Number?)?.toDouble(),
                        minMarginSecs = given.long("min_margin_secs"),
                        renewAfterSecs = given.long("renew_after_secs"),
                    )
                Signer.fromPem(keyPem, keyId).use {
                    TokenProvider(it, service(), claims(), options, ManualClock(NOW)).close()
                }
            }
            "maps_provider" -> {
                val given = case.obj("options")
                Signer.fromPem(keyPem, keyId).use {
                    MapsTokenProvider(
                        it,
                        claims(),
                        network(case),
                        (given["margin_fraction"] as Number?)?.toDouble(),
                        given.long("min_margin_secs"),
                        ManualClock(NOW),
                    ).close()
                }
            }
            "oauth_provider" -> {
                val given = case.obj("options")
                Signer.fromPem(keyPem, case["key_id"] as String? ?: keyId).use {
                    OAuthTokenProvider(
                        it,
                        service(),
                        case["client_id"] as String,
                        case["team_id"] as String?,
                        network(case),
                        (given["margin_fraction"] as Number?)?.toDouble(),
                        given.long("min_margin_secs"),
                        ManualClock(NOW),
                    ).close()
                }
            }
            "probe" -> probe(service(), case["token"] as String, network(case))
            "duration" -> {
                // Kotlin takes whole Long seconds only; this is the core call the Swift layer's
                // Durations (and Python's timedeltas, in pyo3) go through.
                val input =
                    when (case["input"]) {
                        "ttl" -> dev.devtoken.ffi.DurationInput.TTL
                        "clock_skew" -> dev.devtoken.ffi.DurationInput.CLOCK_SKEW
                        "min_margin" -> dev.devtoken.ffi.DurationInput.MIN_MARGIN
                        else -> error("unknown duration input ${case["input"]}")
                    }
                translatingErrors { dev.devtoken.ffi.wholeSeconds(input, case.long("seconds")!!, case.long("nanos")!!) }
            }
            else -> error("unknown op ${case["op"]}")
        }
    }

    @TestFactory
    fun everyBadInputGivesTheCoresKindFieldAndRule(): List<DynamicTest> =
        Fixtures.errorCases.map { case ->
            DynamicTest.dynamicTest(case["name"] as String) {
                val expect = case.obj("expect")
                val error = assertThrows<DevTokenException> { run(case) }
                assertEquals(expect["kind"], error.kind, error.message)
                assertEquals(expect["field"], error.field, error.message)
                assertEquals(expect["rule"], error.rule, error.message)
                expect["message"]?.let { assertEquals(it, error.message) }
            }
        }

    @Test
    fun theContractCoversAtLeastFortyBadInputs() {
        assertTrue(Fixtures.errorCases.size >= 40)
    }

    private companion object {
        const val NOW = 1_700_000_000L
    }
}
