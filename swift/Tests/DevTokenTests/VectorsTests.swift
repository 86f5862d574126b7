import DevToken
import Testing

/// The shared token vectors through the Rust library linked into this package: byte-identical
/// tokens, as in the Rust, Python and Kotlin suites.
@Suite struct VectorsTests {
    static let vectors = Result { try Vectors.load() }

    @Test func theVectorsFileIsRead() throws {
        #expect(!(try Self.vectors.get().tokens.isEmpty))
    }

    @Test func everyServiceHasANameAndAVector() throws {
        #expect(Set(serviceNames()) == Set(Vectors.services.keys))
        #expect(Set(try Self.vectors.get().tokens.map(\.service)) == Set(Vectors.services.keys))
    }

    @Test(arguments: try Self.vectors.get().tokens, [SigningBackend.fixedBaseComb, .stockP256])
    func tokenVectorIsReproducedByteForByte(_ vector: Vectors.TokenCase, backend: SigningBackend) throws {
        let service = try #require(Vectors.services[vector.service])
        let signer = try Self.vectors.get().signer(clockSkew: vector.clockSkew, backend: backend)
        let token = try signer.signTokenAt(service: service, claims: vector.claims.claims, now: vector.now)
        #expect(token == vector.token)
    }
}

/// A Rust error crosses the C boundary as a Swift error (uniffi's RustBuffer path), not a crash.
@Test func aRustErrorArrivesAsATokenError() {
    #expect(throws: TokenError.self) {
        try Signer.fromPem(pem: "not a key", keyId: "VEC0KEY001")
    }
}
