package dev.devtoken

import com.nimbusds.jose.util.JSONObjectUtils
import java.nio.file.Files
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * The Kotlin process of the fleet test (tests/fleet/plan.json): its own APNs [TokenProvider] on a
 * manual clock offset from true time, sampled at the plan's instants; it writes
 * `target/fleet/kotlin.tsv`, which tests/fleet/check.py compares with the Python and Swift
 * processes' after every suite has run.
 */
class FleetTest {
    @Test
    fun signsItsShareOfTheFleetPlan() {
        @Suppress("UNCHECKED_CAST")
        val plan = JSONObjectUtils.parse(Files.readString(Fixtures.workspace.resolve("tests/fleet/plan.json")))
        val me = JSONObjectUtils.getJSONObjectArray(plan, "processes").single { it["name"] == "kotlin" }
        val start = (plan["start"] as Number).toLong()
        val seconds = (plan["seconds"] as Number).toLong()
        val step = (plan["step"] as Number).toLong()
        val period = (plan["period"] as Number).toLong()
        val window = (plan["seam_window"] as Number).toLong()
        val offset = (me["offset"] as Number).toLong()
        val clock = ManualClock(start + offset)
        val provider = TokenProvider(
            Signer.fromPem(Fixtures.vectorKey["pem"] as String, Fixtures.vectorKey["key_id"] as String),
            Service.APNS, Claims(issuer = plan["team_id"] as String), clock = clock,
        )
        val lines = StringBuilder()
        var renewals = 0
        var last: String? = null
        for (now in start until start + seconds) {
            if ((now - start) % step != 0L && minOf(now % period, period - now % period) > window) continue
            clock.set(now + offset)
            val token = provider.token()
            if (token != last) renewals++
            last = token
            lines.append(now).append('\t').append(token).append('\n')
        }
        assertEquals(renewals.toLong(), provider.signatureCount)
        val out = Fixtures.workspace.resolve("target/fleet/kotlin.tsv")
        Files.createDirectories(out.parent)
        Files.writeString(out, lines)
    }
}
