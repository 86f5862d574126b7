package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows

/** The shared vectors give byte-identical tokens and the same errors from Kotlin. */
class VectorsTest {
    private fun signer(case: Map<String, Any?>): Signer =
        Signer.fromPem(
            Fixtures.vectorKey["pem"] as String,
            Fixtures.vectorKey["key_id"] as String,
            (case["clock_skew"] as Number).toLong(),
        )

    @Suppress("UNCHECKED_CAST")
    @TestFactory
    fun tokenVectors(): List<DynamicTest> =
        Fixtures.cases("tokens").map { case ->
            DynamicTest.dynamicTest(case["name"] as String) {
                val token =
                    signer(case).signToken(
                        Fixtures.service(case["service"] as String),
                        Fixtures.claimsFrom(case["claims"] as Map<String, Any?>),
                        now = (case["now"] as Number).toLong(),
                    )
                assertEquals(case["token"], token)
            }
        }

    @Suppress("UNCHECKED_CAST")
    @TestFactory
    fun stockP256SignsTheSameBytes(): List<DynamicTest> =
        Fixtures.cases("tokens").map { case ->
            DynamicTest.dynamicTest(case["name"] as String) {
                val stock =
                    Signer.fromPem(
                        Fixtures.vectorKey["pem"] as String,
                        Fixtures.vectorKey["key_id"] as String,
                        (case["clock_skew"] as Number).toLong(),
                        SigningBackend.STOCK_P256,
                    )
                val token =
                    stock.signToken(
                        Fixtures.service(case["service"] as String),
                        Fixtures.claimsFrom(case["claims"] as Map<String, Any?>),
                        now = (case["now"] as Number).toLong(),
                    )
                assertEquals(case["token"], token)
            }
        }

    @Suppress("UNCHECKED_CAST")
    @TestFactory
    fun errorVectors(): List<DynamicTest> =
        Fixtures.cases("errors").map { case ->
            DynamicTest.dynamicTest(case["name"] as String) {
                val error =
                    assertThrows<InvalidClaimsException> {
                        signer(case).signToken(
                            Fixtures.service(case["service"] as String),
                            Fixtures.claimsFrom(case["claims"] as Map<String, Any?>),
                            now = (case["now"] as Number).toLong(),
                        )
                    }
                assertEquals(case["field"], error.field)
                assertEquals(case["rule"] ?: "unsupported_claim", error.rule)
                case["message"]?.let { assertEquals(it, error.message) }
                assertTrue(error is DevTokenException)
            }
        }
}
