import DevToken
import Foundation
import Testing

/// Apple's clock against the local one (the stand-in's `Date` header 90 s behind), and the
/// core's setup checklist `doctor`.
@Suite
struct ClockTests {
    static func iat(_ token: String) throws -> Int64 {
        let claims = try decodeToken(token).claimsJson
        let object = try #require(JSONSerialization.jsonObject(with: Data(claims.utf8)) as? [String: Any])
        return try #require((object["iat"] as? NSNumber)?.int64Value)
    }

    /// Within the measurement's own uncertainty of 90 s behind.
    static func isNinetySecondsBehind(_ offset: ClockOffset?) -> Bool {
        guard let offset else { return false }
        return abs(offset.offsetMillis + 90_000) <= offset.uncertaintyMillis
    }

    @Test(.enabled(if: AppleStandIn.python != nil, "no Python with cryptography"))
    func anOffsetMeasuredAgainstAClockNinetySecondsBehind() async throws {
        let apple = try AppleStandIn(
            accepting: Fixtures.vectorSigner().publicKeyPEM, arguments: ["--clock-behind", "90"])
        defer { apple.stop() }
        let network = NetworkOptions(baseUrl: apple.baseURL)
        let offset = try await measureClockOffset(network: network)
        #expect(Self.isNinetySecondsBehind(offset), "\(offset)")
        let maps = try MapsTokenProvider(
            signer: Fixtures.vectorSigner(), claims: Claims(issuer: "DEF123GHIJ"), network: network)
        #expect(maps.clockOffset == nil)
        _ = try await maps.accessToken()
        #expect(Self.isNinetySecondsBehind(maps.clockOffset), "\(String(describing: maps.clockOffset))")
    }

    @Test func anObservedOffsetBackDatesTheNextToken() throws {
        let now: Int64 = 1_700_000_000
        let music = try TokenProvider(
            signer: Fixtures.vectorSigner(), service: .appleMusic, claims: Claims(issuer: "DEF123GHIJ"),
            clock: ManualClock(now: now))
        let before = try Self.iat(music.token())
        #expect(music.clockCorrections == 0)
        #expect(music.observeClockOffset(ClockOffset(offsetMillis: -90_000, uncertaintyMillis: 200, measuredAt: now)))
        #expect(music.clockOffset?.offsetMillis == -90_000)
        let after = try Self.iat(music.forceRefresh())
        #expect((85...95).contains(before - after), "iat moved back \(before - after) s")
        #expect(music.clockCorrections == 1)
    }

    @Test func doctorReportsSetupErrorsWithFixes() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "devtoken-doctor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appending(path: "AuthKey_ABC123DEFG.p8")
        try generatePrivateKeyPEM().write(to: key, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key.path(percentEncoded: false))
        func checks(_ claims: Claims, keyId: String? = nil) throws -> [String: DoctorCheck] {
            let report = try doctor(keyAt: key, service: .appleMusic, claims: claims, keyId: keyId, offline: true)
            return Dictionary(report.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
        let report = try checks(Claims(issuer: "57246542-96fe-1a63-e053-0824d011072a"))
        #expect(report["key_file"]?.status == .error)
        #expect(report["key_file"]?.fix == "chmod 600 \(key.path(percentEncoded: false))")
        #expect(report["identifiers"]?.status == .error)
        #expect(report["identifiers"]?.fix?.contains("Team ID") == true)
        #expect(report["clock"]?.status == .skipped)
        #expect(report["probe"]?.status == .skipped)
        let mismatch = try checks(Claims(issuer: "DEF123GHIJ"), keyId: "XYZ987WVUT")
        #expect(mismatch["key_id"]?.status == .error)
        #expect(mismatch["key_id"]?.fix != nil)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key.path(percentEncoded: false))
        let fine = try checks(Claims(issuer: "DEF123GHIJ"))
        #expect(fine.values.filter { $0.status != .ok && $0.status != .skipped }.isEmpty)
    }
}
