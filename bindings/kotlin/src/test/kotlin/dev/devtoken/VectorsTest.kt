package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows

/** The shared vectors give byte-identical tokens and the same errors from Kotlin. */
class VectorsTest {
    private fun signed(case: Map<String, Any?>, backend: SigningBackend = SigningBackend.FIXED_BASE_COMB): String {
        val (service, claims, now) = Fixtures.vectorRequest(case)
        return Fixtures.vectorSigner(case, backend).signToken(service, claims, now)
    }

    private fun tokenVectors(backend: SigningBackend): List<DynamicTest> =
        Fixtures.cases("tokens").map { case ->
            DynamicTest.dynamicTest(case["name"] as String) { assertEquals(case["token"], signed(case, backend)) }
        }

    @TestFactory
    fun tokenVectors(): List<DynamicTest> = tokenVectors(SigningBackend.FIXED_BASE_COMB)

    @TestFactory
    fun stockP256SignsTheSameBytes(): List<DynamicTest> = tokenVectors(SigningBackend.STOCK_P256)

    @TestFactory
    fun errorVectors(): List<DynamicTest> =
        Fixtures.cases("errors").map { case ->
            DynamicTest.dynamicTest(case["name"] as String) {
                val error = assertThrows<InvalidClaimsException> { signed(case) }
                assertEquals(case["field"], error.field)
                assertEquals(case["rule"] ?: "unsupported_claim", error.rule)
                case["message"]?.let { assertEquals(it, error.message) }
                assertTrue(error is DevTokenException)
            }
        }
}
