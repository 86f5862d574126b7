import DevToken
import Foundation
import Testing

/// Signers written in Swift. The independent signer is the `openssl` command (there is no
/// CryptoKit on Linux and the package takes no outside dependency): its DER answers make tokens
/// that devtoken's verifier and `openssl dgst -verify` (`OpenSSL.verifies`) accept, and a wrong
/// key, garbage, a thrown error or a hang each give `DevTokenError.externalSigner` naming the cause.
@Suite(.enabled(if: OpenSSL.path != nil, "no openssl command on PATH"))
struct ExternalSignerTests {
    static let claims = Claims(issuer: "DEF123GHIJ", ttl: .seconds(3600))
    static let keyFile = Fixtures.keys.appending(path: "p256.pem")

    /// The public key of `p256.pem` as openssl writes it.
    static func publicKeyPEM() throws -> String {
        try String(decoding: OpenSSLCommand.run(["pkey", "-in", keyFile.path(), "-pubout"]), as: UTF8.self)
    }

    /// Signs with `signer` under the key `p256.pem` declares, expecting an external signer error.
    static func failure(
        _ publicKeyPEM: String? = nil, signDigest: @escaping @Sendable (Data) throws -> Data
    ) throws -> DevTokenError? {
        let signer = try Signer(publicKeyPEM: publicKeyPEM ?? Self.publicKeyPEM(), keyId: "ABC123DEFG") {
            try signDigest($0)
        }
        let error = #expect(throws: DevTokenError.self) { try signer.signToken(.appleMusic, claims: claims) }
        #expect(error?.kind == "external_signer")
        #expect(error?.field == "signer")
        return error
    }

    @Test func derAnswersFromOpenSSLMakeTokensThatVerify() throws {
        let publicKey = try Self.publicKeyPEM()
        let signer = try Signer(
            external: OpenSSLSigner(keyFile: Self.keyFile), publicKeyPEM: publicKey, keyId: "ABC123DEFG")
        let token = try signer.signToken(.appleMusic, claims: Self.claims, at: Fixtures.date(1_700_000_000))
        let decoded = try verifyToken(token, publicKeyPEM: publicKey)
        #expect(decoded.headerJson.contains("\"kid\":\"ABC123DEFG\""))
        #expect(try OpenSSL.verifies(token, publicKeyPEM: publicKey))
        // openssl picks a random nonce: valid tokens, not byte-identical ones.
        #expect(try signer.signToken(.appleMusic, claims: Self.claims, at: Fixtures.date(1_700_000_000)) != token)
        #expect(signer.externalTimeout != nil)
    }

    @Test func anotherKeysSignatureIsWrongKey() throws {
        let other = try Signer(pem: generatePrivateKeyPEM(), keyId: "ABC123DEFG").publicKeyPEM
        let openssl = OpenSSLSigner(keyFile: Self.keyFile)
        let error = try Self.failure(other) { try openssl.signDigest($0) }
        #expect(error?.rule == "wrong_key")
    }

    @Test func garbageIsSignatureShape() throws {
        for garbage in [Data(), Data("not a signature".utf8), Data(count: 64), Data(repeating: 0x30, count: 72)] {
            let error = try Self.failure { _ in garbage }
            #expect(error?.rule == "signature_shape", "\(garbage.count) bytes")
        }
    }

    struct KMSError: Error, LocalizedError {
        var errorDescription: String? { "KMS said no" }
    }

    @Test func aThrowingClosureIsFailedWithItsMessage() throws {
        let error = try Self.failure { _ in throw KMSError() }
        guard case .externalSigner(_, let rule, let message) = error else {
            Issue.record("not externalSigner: \(String(describing: error))")
            return
        }
        #expect(rule == "failed")
        #expect(message.contains("KMSError: KMS said no"), "\(message)")
    }

    @Test func aHangingSignerTimesOut() throws {
        let signer = try Signer(publicKeyPEM: Self.publicKeyPEM(), keyId: "ABC123DEFG", timeout: .milliseconds(50)) {
            Thread.sleep(forTimeInterval: 2)
            return $0
        }
        #expect(signer.externalTimeout == .milliseconds(50))
        let error = #expect(throws: DevTokenError.self) { try signer.signToken(.appleMusic, claims: Self.claims) }
        #expect(error?.rule == "timeout")
        #expect(try Signer.generate(keyId: "ABC123DEFG").externalTimeout == nil)
        let zero = #expect(throws: DevTokenError.self) {
            try Signer(publicKeyPEM: Self.publicKeyPEM(), keyId: "ABC123DEFG", timeout: .zero) { $0 }
        }
        #expect(zero?.field == "external_timeout")
        #expect(zero?.rule == "range")
    }

    @Test func aTokenProviderOverAnExternalSignerCachesItsToken() throws {
        let publicKey = try Self.publicKeyPEM()
        let openssl = OpenSSLSigner(keyFile: Self.keyFile)
        let calls = Counter()
        let signer = try Signer(publicKeyPEM: publicKey, keyId: "ABC123DEFG") {
            calls.increment()
            return try openssl.signDigest($0)
        }
        let apns = try TokenProvider(signer: signer, service: .apns, claims: Claims(issuer: "DEF123GHIJ"))
        let token = try apns.token()
        #expect(try OpenSSL.verifies(token, publicKeyPEM: publicKey))
        #expect(try apns.token() == token)
        #expect(calls.value == 1)
        #expect(apns.signatureCount == 1)
    }

    /// Four tasks at once (the core refuses a fifth call in flight as `busy`).
    @Test func fourTasksShareOneExternalSigner() async throws {
        let publicKey = try Self.publicKeyPEM()
        let signer = try Signer(
            external: OpenSSLSigner(keyFile: Self.keyFile), publicKeyPEM: publicKey, keyId: "ABC123DEFG")
        let tokens = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { try (0..<3).map { _ in try signer.signToken(.appleMusic, claims: Self.claims) } }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(tokens).count == 12)
        for token in tokens {
            _ = try verifyToken(token, publicKeyPEM: publicKey)
        }
    }
}

/// A call count shared with a `@Sendable` closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() { lock.withLock { count += 1 } }

    var value: Int { lock.withLock { count } }
}

/// Signs each digest with `openssl pkeyutl -sign` (ECDSA of the digest as given; DER out).
struct OpenSSLSigner: ExternalSigner {
    let keyFile: URL

    func signDigest(_ digest: Data) throws -> Data {
        try OpenSSLCommand.withScratch { directory in
            let input = directory.appending(path: "digest.bin")
            try digest.write(to: input)
            return try OpenSSLCommand.run(["pkeyutl", "-sign", "-inkey", keyFile.path(), "-in", input.path()])
        }
    }
}

/// `openssl` commands run with their output read (`OpenSSL` in ServicesTests verifies tokens).
enum OpenSSLCommand {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `openssl arguments` and returns its standard output; a non-zero exit throws.
    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(filePath: try #require(OpenSSL.path))
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let command = arguments.joined(separator: " ")
            throw Failure(description: "openssl \(command): \(String(decoding: message, as: UTF8.self))")
        }
        return data
    }

    /// Runs `body` with a fresh directory that is removed afterwards.
    static func withScratch<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appending(path: "devtoken-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }
}
