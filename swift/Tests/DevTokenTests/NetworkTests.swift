import DevToken
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Maps `/v1/token` exchange and `probe` against the repository's stand-in for Apple
/// (`tests/independent/apple_stand_in.py`, which checks signatures with pyca/cryptography) on
/// loopback. It needs a Python with `cryptography`: `$DEVTOKEN_TEST_PYTHON`, else the test
/// command's `target/test-venv/bin/python`.
@Suite(
    .serialized,
    .enabled(
        if: AppleStandIn.python != nil,
        "no Python with cryptography: set DEVTOKEN_TEST_PYTHON or run tests/run-all.sh"))
struct NetworkTests {
    @Test func mapsAccessTokenIsExchangedOnceAndCached() async throws {
        let apple = try AppleStandIn(accepting: Fixtures.vectorSigner().publicKeyPEM)
        defer { apple.stop() }
        let maps = try MapsTokenProvider(
            signer: Fixtures.vectorSigner(), claims: Claims(issuer: "DEF123GHIJ"),
            network: NetworkOptions(baseUrl: apple.baseURL))
        let first = try await maps.accessToken()
        #expect(first == "access-1")
        #expect(try Self.blockingAccessToken(maps) == first)
        let concurrent = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try await maps.accessToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(concurrent == [first])
        #expect(maps.exchangeCount == 1)
        let expiresAt = try #require(maps.expiresAt)
        #expect(expiresAt > Date())
    }

    /// The blocking overload, as code outside Swift concurrency calls it.
    static func blockingAccessToken(_ maps: MapsTokenProvider) throws -> String {
        try maps.accessToken()
    }

    @Test func aRejectedTokenCarriesApplesAnswerAndTheFindings() async throws {
        let apple = try AppleStandIn(accepting: Fixtures.vectorSigner().publicKeyPEM)
        defer { apple.stop() }
        let stranger = try Signer.generate(keyId: "ABC123DEFG")
        let maps = try MapsTokenProvider(
            signer: stranger, claims: Claims(issuer: "DEF123GHIJ"), network: NetworkOptions(baseUrl: apple.baseURL))
        let error = await #expect(throws: DevTokenError.self) { try await maps.accessToken() }
        guard case .appleRejected(let status, let appleMessage, let details, let findings, let message) = error else {
            Issue.record("not appleRejected: \(String(describing: error))")
            return
        }
        #expect(error?.kind == "apple_rejected")
        #expect(status == 401)
        #expect(appleMessage == "Not Authorized")
        #expect(details == ["bad signature"])
        #expect(findings.contains { $0.code == "signature_not_checked" })
        #expect(try !message.contains(maps.mapsToken()))
    }

    @Test(arguments: [Service.maps, .appleMusic, .appsAndBooks])
    func probeSaysWhetherTheTestEndpointAcceptsTheToken(_ service: Service) async throws {
        let apple = try AppleStandIn(accepting: Fixtures.vectorSigner().publicKeyPEM)
        defer { apple.stop() }
        let network = NetworkOptions(baseUrl: apple.baseURL)
        let claims = Claims(issuer: "DEF123GHIJ", scope: service == .maps ? ["server_api"] : [])
        let token = try Fixtures.vectorSigner().signToken(service, claims: claims)
        let accepted = try await probe(service, token: token, network: network)
        #expect(accepted.accepted)
        #expect(accepted.status == 200)
        let stranger = try Signer.generate(keyId: "ABC123DEFG")
        let rejected = try await probe(service, token: stranger.signToken(service, claims: claims), network: network)
        #expect(!rejected.accepted)
        #expect(rejected.status == 401)
        #expect(rejected.message.contains("Not Authorized"))
    }
}

/// `tests/independent/apple_stand_in.py` (Maps `/v1/token`, the `/v1/test` endpoints and the
/// OAuth token endpoint of ``OAuthTests``) running on a free loopback port.
final class AppleStandIn: Sendable {
    static let python: String? = {
        let candidates = [
            ProcessInfo.processInfo.environment["DEVTOKEN_TEST_PYTHON"],
            Fixtures.root.appending(path: "target/test-venv/bin/python").path(percentEncoded: false),
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let baseURL: String
    private let process: Process

    /// Runs the stand-in accepting tokens of `publicKeyPEM`, with `arguments` added to its command
    /// line.
    init(accepting publicKeyPEM: String, arguments: [String] = []) throws {
        let keyFile = FileManager.default.temporaryDirectory
            .appending(path: "devtoken-stand-in-\(UUID().uuidString).pem")
        try publicKeyPEM.write(to: keyFile, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(filePath: try #require(Self.python))
        process.arguments = [
            Fixtures.root.appending(path: "tests/independent/apple_stand_in.py").path(percentEncoded: false),
            "--public-key", keyFile.path(percentEncoded: false), "--port", "0",
        ] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first line names the address: "Apple stand-in on http://127.0.0.1:PORT (...".
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let url = text.split(separator: " ").first(where: { $0.hasPrefix("http://127.0.0.1:") }) else {
            kill(process.processIdentifier, SIGKILL)
            throw StandInError(output: text)
        }
        baseURL = String(url)
        self.process = process
    }

    /// How many requests reached each path so far.
    func paths() async throws -> [String: Int] {
        let url = try #require(URL(string: baseURL + "/stand-in/paths"))
        let (data, _) = try await URLSession.shared.data(from: url)
        return try JSONDecoder().decode([String: Int].self, from: data)
    }

    /// SIGKILL: a child of the test runner can inherit a signal mask that blocks SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    struct StandInError: Error, CustomStringConvertible {
        let output: String
        var description: String { "the stand-in did not print its address: \(output)" }
    }
}
