// Only the generated module: its `Signer` and `Claims` would be ambiguous beside DevToken's.
import DevTokenUniFFI
import Foundation
import Testing

/// The generated `ExternalDigestSigner` implemented directly, without the DevToken layer's
/// adapter: an error that is not `DigestSignerError` takes uniffi's unexpected-callback-error
/// path, which the uniffi face maps to rule `failed` (never a crash).
@Suite(.enabled(if: OpenSSL.path != nil, "no openssl command on PATH"))
struct UnexpectedCallbackErrorTests {
    struct NoHSM: Error {}

    final class Raw: ExternalDigestSigner {
        func signDigest(digest: Data) throws -> Data { throw NoHSM() }
    }

    @Test func anErrorOfAnotherTypeIsFailed() throws {
        let signer = try Signer.fromExternal(
            publicKeyPem: ExternalSignerTests.publicKeyPEM(), keyId: "ABC123DEFG", signer: Raw())
        let error = #expect(throws: TokenError.self) {
            try signer.signToken(service: .appleMusic, claims: Claims(issuer: "DEF123GHIJ"))
        }
        guard case .ExternalSigner(let reason, _, _, let rule, _) = error else {
            Issue.record("not ExternalSigner: \(String(describing: error))")
            return
        }
        #expect(rule == "failed")
        #expect(reason.contains("NoHSM"), "\(reason)")
    }
}
