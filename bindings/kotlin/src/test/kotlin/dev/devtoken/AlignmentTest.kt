package dev.devtoken

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** A point of APNs' 40-minute grid. */
private const val GRID_T0 = 1_699_999_200L
private const val TEAM = "DEF123GHIJ"

/** Fleet-aligned `iat` from Kotlin: the core's grid and its refusal for per-request services. */
class AlignmentTest {
    @Test
    fun twoProcessesOfAFleetShareOneApnsToken() {
        val pem = generatePrivateKeyPem()
        val early = ManualClock(GRID_T0 + 100)
        val late = ManualClock(GRID_T0 + 1700)
        val a = TokenProvider(Signer.fromPem(pem, "ABC123DEFG"), Service.APNS, Claims(issuer = TEAM), clock = early)
        val b = TokenProvider(Signer.fromPem(pem, "ABC123DEFG"), Service.APNS, Claims(issuer = TEAM), clock = late)
        assertEquals(2400L, a.alignmentPeriodSecs)
        assertEquals(a.token(), b.token())
        val music =
            TokenProvider(Signer.fromPem(pem, "ABC123DEFG"), Service.APPLE_MUSIC, Claims(issuer = TEAM), clock = early)
        assertNull(music.alignmentPeriodSecs)
    }

    @Test
    fun appStoreServerTokensAreNeverAligned() {
        val claims = Claims(issuer = "57246542-96fe-1a63-e053-0824d011072a", bundleId = "com.example.app")
        val refused =
            assertThrows<InvalidOptionException> {
                TokenProvider(
                    Signer.generate("ABC123DEFG"), Service.APP_STORE_SERVER, claims, ProviderOptions(aligned = true),
                )
            }
        assertEquals("aligned" to "not_applicable", refused.field to refused.rule)
    }
}
