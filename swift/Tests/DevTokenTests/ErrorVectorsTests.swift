import DevToken
import Foundation
import Testing

/// The cross-language error contract (`tests/vectors/errors.json`): every bad input gives, from
/// Swift, exactly the kind, field and rule the core gives in Rust (ops as tests/error_vectors.rs).
@Suite struct ErrorVectorsTests {
    static let now = Fixtures.date(1_700_000_000)

    @Test func theContractCoversAtLeastFortyBadInputs() {
        #expect(Fixtures.errors.cases.count >= 40)
    }

    @Test(arguments: Fixtures.errors.cases)
    func badInputGivesTheCoresKindFieldAndRule(_ vector: ErrorVectors.Case) throws {
        let error = try #require(throws: DevTokenError.self) { try Self.run(vector) }
        #expect(error.kind == vector.expect.kind, "\(error)")
        #expect(error.field == vector.expect.field, "\(error)")
        #expect(error.rule == vector.expect.rule, "\(error)")
        if let message = vector.expect.message {
            #expect(error.description == message)
            #expect(error.localizedDescription == message)
        }
    }

    static func network(_ given: ErrorVectors.Network?) -> NetworkOptions {
        NetworkOptions(
            // Never Apple from a test: a closed loopback port.
            baseUrl: "http://127.0.0.1:9", connectTimeoutMs: given?.connectTimeoutMs,
            readTimeoutMs: given?.readTimeoutMs, extraCaPem: given?.extraCaPem, maxRetries: given?.maxRetries)
    }

    /// Runs the case's operation, which must throw.
    static func run(_ vector: ErrorVectors.Case) throws {
        let service = vector.service.flatMap { Service(name: $0) }
        let claims = vector.claims?.claims ?? Claims()
        let key = Fixtures.vectors.key
        switch vector.op {
        case "sign":
            _ = try Fixtures.vectorSigner(keyId: vector.keyId).signToken(
                service!, claims: claims, at: vector.now.map(Fixtures.date))
        case "load_key":
            let pem = try vector.keyFile.map {
                try String(contentsOf: Fixtures.keys.appending(path: $0), encoding: .utf8)
            }
            _ = try Signer(pem: pem ?? vector.pem!, keyId: "VEC0KEY001")
        case "signer":
            _ = try Signer(
                pem: key.pem, keyId: vector.keyId ?? key.keyId, clockSkew: vector.clockSkewSecs.map { .seconds($0) })
        case "decode":
            _ = try decodeToken(vector.token!)
        case "verify":
            let publicKey = try vector.publicKeyPem ?? Fixtures.vectorSigner().publicKeyPEM
            _ = try verifyToken(vector.token!, publicKeyPEM: publicKey)
        case "provider":
            let options = ProviderOptions(
                marginFraction: vector.options?.marginFraction, minMarginSecs: vector.options?.minMarginSecs,
                renewAfterSecs: vector.options?.renewAfterSecs)
            _ = try TokenProvider(
                signer: Fixtures.vectorSigner(), service: service!, claims: claims, options: options,
                clock: ManualClock(now: 1_700_000_000))
        case "maps_provider":
            _ = try MapsTokenProvider(
                signer: Fixtures.vectorSigner(), claims: claims, network: network(vector.network),
                marginFraction: vector.options?.marginFraction,
                minMargin: vector.options?.minMarginSecs.map { .seconds($0) }, clock: ManualClock(now: 1_700_000_000))
        case "oauth_provider":
            _ = try OAuthTokenProvider(
                signer: Fixtures.vectorSigner(keyId: vector.keyId), service: service!, clientId: vector.clientId!,
                teamId: vector.teamId, network: network(vector.network), marginFraction: vector.options?.marginFraction,
                minMargin: vector.options?.minMarginSecs.map { .seconds($0) }, clock: ManualClock(now: 1_700_000_000))
        case "probe":
            _ = try probe(service!, token: vector.token!, network: network(vector.network))
        case "duration":
            let given = Duration.seconds(vector.seconds!) + Duration.nanoseconds(vector.nanos!)
            switch vector.input {
            case "ttl":
                _ = try Fixtures.vectorSigner().signToken(
                    .appleMusic, claims: Claims(issuer: "DEF123GHIJ", ttl: given), at: Self.now)
            case "clock_skew":
                _ = try Signer(pem: key.pem, keyId: key.keyId, clockSkew: given)
            case "min_margin":
                _ = try MapsTokenProvider(
                    signer: Fixtures.vectorSigner(), claims: Claims(issuer: "DEF123GHIJ"), minMargin: given,
                    clock: ManualClock(now: 1_700_000_000))
            default:
                Issue.record("unknown duration input \(String(describing: vector.input))")
            }
        default:
            Issue.record("unknown op \(vector.op)")
        }
    }

    @Test func aMissingKeyFileIsAnIOError() {
        let error = #expect(throws: DevTokenError.self) {
            try Signer(contentsOf: URL(filePath: "/nonexistent/AuthKey_ABC123DEFG.p8"))
        }
        #expect(error?.kind == "io")
        #expect(error?.field == nil)
    }
}
