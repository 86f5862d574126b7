import DevToken
import Foundation
import Testing

/// The shared token vectors through the Rust library linked into this package: byte-identical
/// tokens, as in the Rust, Python and Kotlin suites.
@Suite struct VectorsTests {
    @Test func everyServiceHasAVectorAndAName() {
        #expect(Set(Fixtures.vectors.tokens.map(\.service)) == Set(Service.all.map(\.name)))
        for service in Service.all {
            #expect(Service(name: service.name) == service)
        }
        #expect(Service(name: "no-such-service") == nil)
    }

    @Test(arguments: Fixtures.vectors.tokens, [SigningBackend.fixedBaseComb, .stockP256])
    func tokenVectorIsReproducedByteForByte(_ vector: Vectors.TokenCase, backend: SigningBackend) throws {
        let service = try #require(Service(name: vector.service))
        let signer = try Fixtures.vectorSigner(keyId: vector.keyId, clockSkew: vector.clockSkew, backend: backend)
        let token = try signer.signToken(service, claims: vector.claims.claims, at: Fixtures.date(vector.now))
        #expect(token == vector.token)
    }
}
