package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory

/** The shared vectors give byte-identical tokens from Kotlin (errors: [ErrorVectorsTest]). */
class VectorsTest {
    private fun signed(case: Map<String, Any?>, backend: SigningBackend = SigningBackend.FIXED_BASE_COMB): String {
        val (service, claims, now) = Fixtures.vectorRequest(case)
        return Fixtures.vectorSigner(case, backend).signToken(service, claims, now)
    }

    private fun tokenVectors(backend: SigningBackend): List<DynamicTest> =
        Fixtures.cases("tokens").map { case ->
            DynamicTest.dynamicTest(case["name"] as String) { assertEquals(case["token"], signed(case, backend)) }
        }

    @Test
    fun everyServiceHasAVector() {
        assertEquals(serviceNames().toSet(), Fixtures.cases("tokens").map { it["service"] }.toSet())
    }

    @TestFactory
    fun tokenVectors(): List<DynamicTest> = tokenVectors(SigningBackend.FIXED_BASE_COMB)

    @TestFactory
    fun stockP256SignsTheSameBytes(): List<DynamicTest> = tokenVectors(SigningBackend.STOCK_P256)
}
