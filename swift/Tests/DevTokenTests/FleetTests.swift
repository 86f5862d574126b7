import DevToken
import Foundation
import Testing

/// The Swift process of the fleet test (tests/fleet/plan.json): its own APNs `TokenProvider` on a
/// manual clock offset from true time, sampled at the plan's instants; it writes
/// `target/fleet/swift.tsv`, which tests/fleet/check.py compares with the Python and Kotlin
/// processes' after every suite has run.
struct FleetTests {
    struct Plan: Decodable {
        struct Process: Decodable {
            let name: String
            let offset: Int64
        }
        let teamId: String
        let start: Int64
        let seconds: Int64
        let step: Int64
        let period: Int64
        let seamWindow: Int64
        let processes: [Process]
    }

    @Test func signsItsShareOfTheFleetPlan() throws {
        let plan = try Fixtures.decoder().decode(
            Plan.self, from: Data(contentsOf: Fixtures.root.appending(path: "tests/fleet/plan.json")))
        let offset = try #require(plan.processes.first { $0.name == "swift" }).offset
        let clock = ManualClock(now: plan.start + offset)
        let provider = try TokenProvider(
            signer: Fixtures.vectorSigner(), service: .apns, claims: Claims(issuer: plan.teamId), clock: clock)
        var lines = ""
        var renewals: Int64 = 0
        var last: String?
        for now in plan.start..<(plan.start + plan.seconds) {
            let toGrid = min(now % plan.period, plan.period - now % plan.period)
            guard (now - plan.start) % plan.step == 0 || toGrid <= plan.seamWindow else { continue }
            clock.set(now: now + offset)
            let token = try provider.token()
            if token != last { renewals += 1 }
            last = token
            lines += "\(now)\t\(token)\n"
        }
        #expect(renewals == provider.signatureCount)
        let out = Fixtures.root.appending(path: "target/fleet")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try lines.write(to: out.appending(path: "swift.tsv"), atomically: true, encoding: .utf8)
    }
}
