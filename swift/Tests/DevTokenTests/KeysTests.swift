import DevToken
import Foundation
import Testing

/// Keys in the forms people paste load; refused forms are typed errors (the full list of refused
/// forms is in the error vectors).
@Suite struct KeysTests {
    static func pem(_ name: String) throws -> String {
        try String(contentsOf: Fixtures.keys.appending(path: name), encoding: .utf8)
    }

    /// The same key in every accepted form signs the same token as the PKCS#8 original.
    @Test func pastedFormsLoadAndSignTheSameToken() throws {
        let original = try Self.pem("p256.pem")
        let forms: [String: String] = [
            "literal \\n": original.replacingOccurrences(of: "\n", with: "\\n"),
            "CRLF": original.replacingOccurrences(of: "\n", with: "\r\n"),
            "one line": original.replacingOccurrences(of: "\n", with: " "),
            "SEC1": try Self.pem("p256-sec1.pem"),
            "quoted": "\"\(original)\"",
        ]
        let claims = Claims(issuer: "DEF123GHIJ")
        let now = Fixtures.date(1_700_000_000)
        let expected = try Signer(pem: original, keyId: "ABC123DEFG").signToken(.appleMusic, claims: claims, at: now)
        for (name, pem) in forms {
            let token = try Signer(pem: pem, keyId: "ABC123DEFG").signToken(.appleMusic, claims: claims, at: now)
            #expect(token == expected, "\(name)")
        }
    }

    @Test func theKeyIdComesFromTheFileName() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "devtoken-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "AuthKey_ABC123DEFG.p8")
        try Self.pem("p256.pem").write(to: file, atomically: true, encoding: .utf8)
        #expect(try Signer(contentsOf: file).keyId == "ABC123DEFG")
        let error = #expect(throws: DevTokenError.self) { try Signer(contentsOf: file, keyId: "OTHER00000") }
        #expect(error?.field == "kid")
    }

    @Test func anEncryptedKeyIsATypedErrorWithTheCoresSentence() throws {
        let error = #expect(throws: DevTokenError.self) {
            try Signer(pem: try Self.pem("p256-encrypted.pem"), keyId: "ABC123DEFG")
        }
        guard case .invalidKey(let field, let rule, let message) = error else {
            Issue.record("not invalidKey: \(String(describing: error))")
            return
        }
        #expect(field == "key")
        #expect(rule == "encrypted")
        #expect(message.contains("encrypted"))
        #expect(!message.contains("BEGIN"))
    }
}
