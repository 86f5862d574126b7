package dev.devtoken

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import kotlin.math.abs

/**
 * Apple's clock as measured from a server whose `Date` is 90 s behind, a provider back-dating its
 * tokens by an observed offset, and the doctor's checklist (mirrors python/tests/test_doctor.py).
 */
class ClockAndDoctorTest {
    private fun assertAbout90sBehind(offset: ClockOffset) {
        assertTrue(
            abs(offset.offsetMillis + 90_000) <= offset.uncertaintyMillis,
            "offset ${offset.offsetMillis} ms ± ${offset.uncertaintyMillis} ms is not -90000 ms",
        )
    }

    @Test
    fun measureClockOffsetReadsTheDateHeader() {
        SkewedClockStandIn(clockBehindSecs = 90).use { apple ->
            val before = System.currentTimeMillis() / 1000
            val offset = measureClockOffset(NetworkOptions(baseUrl = apple.baseUrl))
            assertAbout90sBehind(offset)
            assertTrue(offset.measuredAt >= before, "${offset.measuredAt} < $before")
            assertAbout90sBehind(runBlocking { awaitMeasureClockOffset(NetworkOptions(baseUrl = apple.baseUrl)) })
            assertEquals(2, apple.requests.get())
        }
    }

    @Test
    fun aMapsProviderKeepsTheOffsetOfItsLastExchange() {
        SkewedClockStandIn(clockBehindSecs = 90).use { apple ->
            val maps =
                MapsTokenProvider(
                    Signer.generate("ABC123DEFG"),
                    Claims(issuer = "DEF123GHIJ"),
                    NetworkOptions(baseUrl = apple.baseUrl),
                )
            assertNull(maps.clockOffset())
            assertEquals("access-skewed", maps.accessToken())
            assertAbout90sBehind(checkNotNull(maps.clockOffset()) { "no offset after an exchange" })
        }
    }

    @Test
    fun anObservedOffsetBackDatesTheNextToken() {
        val now = 1_700_000_000L
        val clock = ManualClock(now)
        val signer = Signer.generate("ABC123DEFG")
        val music = TokenProvider(signer, Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"), clock = clock)
        val skew = now - issuedAt(music.token(), signer)
        assertEquals(0L, music.clockCorrections)
        assertNull(music.clockOffset())
        val behind = ClockOffset(offsetMillis = -90_000, uncertaintyMillis = 600, measuredAt = now)
        assertTrue(music.observeClockOffset(behind))
        assertFalse(music.observeClockOffset(behind), "the same offset again changes nothing")
        assertEquals(behind, music.clockOffset())
        val backDated = now - issuedAt(music.forceRefresh(), signer)
        // At least 90 s earlier than now; no more than the usual skew beyond that (plus rounding).
        assertTrue(backDated in 90..90 + skew + 1, "iat is $backDated s before now (skew $skew s)")
        assertEquals(1L, music.clockCorrections)
    }

    /** The `iat` of [token], verified by Nimbus with [signer]'s public key. */
    private fun issuedAt(token: String, signer: Signer): Long =
        (Fixtures.nimbusVerified(token, signer.publicKeyPem()).payload.toJSONObject()["iat"] as Number).toLong()

    @Test
    fun doctorReportsSetupErrorsWithFixes(@TempDir dir: Path) {
        val key = Files.writeString(dir.resolve("AuthKey_ABC123DEFG.p8"), generatePrivateKeyPem())
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"))
        val uuid = "57246542-96fe-1a63-e053-0824d011072a"
        val report =
            doctor(key.toString(), Service.APPLE_MUSIC, Claims(issuer = uuid), offline = true)
                .associateBy { it.name }
        assertEquals(CheckStatus.ERROR, report.getValue("key_file").status)
        assertEquals("chmod 600 $key", report.getValue("key_file").fix)
        assertEquals(CheckStatus.ERROR, report.getValue("identifiers").status)
        assertTrue(report.getValue("identifiers").fix!!.contains("Team ID"), report.getValue("identifiers").fix)
        assertEquals(
            CheckStatus.SKIPPED to CheckStatus.SKIPPED,
            report.getValue("clock").status to report.getValue("probe").status,
        )
        val mismatch =
            doctor(
                key.toString(),
                Service.APPLE_MUSIC,
                Claims(issuer = "DEF123GHIJ"),
                keyId = "XYZ987WVUT",
                offline = true,
            ).associateBy { it.name }
        assertEquals(CheckStatus.ERROR, mismatch.getValue("key_id").status)
        assertNotNull(mismatch.getValue("key_id").fix)
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"))
        val fine = doctor(key.toString(), Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"), offline = true)
        assertEquals(
            emptyList<DoctorCheck>(),
            fine.filter { it.status != CheckStatus.OK && it.status != CheckStatus.SKIPPED },
        )
        // Messages name files and identifiers, never key material.
        assertFalse(fine.any { it.message.contains("PRIVATE KEY") })
    }
}
