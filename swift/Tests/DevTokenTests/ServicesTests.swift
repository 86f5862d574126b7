import DevToken
import Foundation
import Testing

/// Every service signs from Swift, and each token verifies with OpenSSL (not devtoken): the
/// 64-byte r||s signature is converted to DER and checked with `openssl dgst -verify`.
@Suite(.enabled(if: OpenSSL.path != nil, "no openssl command on PATH"))
struct ServicesTests {
    @Test(arguments: Fixtures.vectors.tokens)
    func everyServiceSignsATokenOpenSSLVerifies(_ vector: Vectors.TokenCase) throws {
        let service = try #require(Service(name: vector.service))
        let signer = try Signer.generate(keyId: vector.keyId ?? "ABC123DEFG")
        let token = try signer.signToken(service, claims: vector.claims.claims, at: Fixtures.date(vector.now))
        #expect(try OpenSSL.verifies(token, publicKeyPEM: signer.publicKeyPEM))
        #expect(try verifyToken(token, publicKeyPEM: signer.publicKeyPEM).headerJson.contains("\"ES256\""))
        let findings = try inspectToken(
            token, service: service, publicKeyPEM: signer.publicKeyPEM, at: Fixtures.date(vector.now))
        #expect(!findings.contains { $0.level == .error }, "\(findings)")
    }

    @Test func openSSLRejectsATamperedToken() throws {
        let signer = try Signer.generate(keyId: "ABC123DEFG")
        let token = try signer.signToken(.apns, claims: Claims(issuer: "DEF123GHIJ"))
        let parts = token.split(separator: ".")
        let other = try signer.signToken(.apns, claims: Claims(issuer: "XYZ987WVUT"))
        let tampered = "\(parts[0]).\(other.split(separator: ".")[1]).\(parts[2])"
        #expect(try !OpenSSL.verifies(tampered, publicKeyPEM: signer.publicKeyPEM))
    }
}

enum OpenSSL {
    static let path: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether `openssl dgst -sha256 -verify` accepts the token's signature.
    static func verifies(_ token: String, publicKeyPEM: String) throws -> Bool {
        let parts = token.split(separator: ".")
        let signature = try #require(base64URLDecoded(String(parts[2])))
        let directory = FileManager.default.temporaryDirectory.appending(path: "devtoken-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appending(path: "public.pem")
        let message = directory.appending(path: "message")
        let der = directory.appending(path: "signature.der")
        try publicKeyPEM.write(to: key, atomically: true, encoding: .utf8)
        try Data("\(parts[0]).\(parts[1])".utf8).write(to: message)
        try derSignature(signature).write(to: der)
        let process = Process()
        process.executableURL = URL(filePath: try #require(path))
        process.arguments = ["dgst", "-sha256", "-verify", key.path, "-signature", der.path, message.path]
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static func base64URLDecoded(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// r||s (32 + 32 bytes) as the DER `SEQUENCE { INTEGER r, INTEGER s }` OpenSSL reads.
    static func derSignature(_ raw: Data) -> Data {
        func integer(_ bytes: Data) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(raw.prefix(32)) + integer(raw.suffix(32))
        return Data([0x30, UInt8(body.count)] + body)
    }
}
