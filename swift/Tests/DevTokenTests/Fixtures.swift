import DevToken
import Foundation

/// Paths and shared files of the repository, found from this source file's place
/// (swift/Tests/DevTokenTests/ → the repository root).
enum Fixtures {
    static let root = URL(filePath: #filePath)
        .deletingLastPathComponent()  // DevTokenTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // swift
        .deletingLastPathComponent()  // the repository root

    static let keys = root.appending(path: "tests/vectors/keys")

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    static let vectors: Vectors = load("tests/vectors/tokens.json")
    static let errors: ErrorVectors = load("tests/vectors/errors.json")

    private static func load<T: Decodable>(_ path: String) -> T {
        do {
            return try decoder().decode(T.self, from: Data(contentsOf: root.appending(path: path)))
        } catch {
            fatalError("cannot read \(path): \(error)")
        }
    }

    /// A signer over the vectors' key, under `keyId` (a case's own, e.g. the UUID the OAuth
    /// services take) or else the vectors' key id.
    static func vectorSigner(keyId: String? = nil, clockSkew: Int64? = nil, backend: SigningBackend? = nil) throws
        -> Signer
    {
        try Signer(
            pem: vectors.key.pem, keyId: keyId ?? vectors.key.keyId, clockSkew: clockSkew.map { .seconds($0) },
            backend: backend)
    }

    /// The date of whole UNIX seconds.
    static func date(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

/// A vector's `claims` object; the JSON names are the core's field names.
struct ClaimsJSON: Decodable, Sendable {
    let issuer: String?
    let issuedAt: Int64?
    let expiresAt: Int64?
    let ttl: Int64?
    let origins: [String]?
    let bundleId: String?
    let subject: String?
    let scope: [String]?
    let jwtId: String?

    var claims: Claims {
        Claims(
            issuer: issuer, subject: subject, bundleId: bundleId, origins: origins ?? [], scope: scope ?? [],
            jwtId: jwtId, issuedAt: issuedAt.map(Fixtures.date), expiresAt: expiresAt.map(Fixtures.date),
            ttl: ttl.map { .seconds($0) })
    }
}

/// `tests/vectors/tokens.json`: the known-answer vectors every language's suite reads.
struct Vectors: Decodable, Sendable {
    struct Key: Decodable, Sendable {
        let keyId: String
        let pem: String
    }

    /// Signs `claims` for `service` at `now` (under `keyId` when the case has one, else the
    /// file's key id) and must give `token` byte for byte.
    struct TokenCase: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let service: String
        let keyId: String?
        let now: Int64
        let clockSkew: Int64
        let claims: ClaimsJSON
        let token: String

        var description: String { name }
    }

    let key: Key
    let tokens: [TokenCase]
}

/// `tests/vectors/errors.json`: the cross-language error contract.
struct ErrorVectors: Decodable, Sendable {
    struct Expect: Decodable, Sendable {
        let kind: String
        let field: String?
        let rule: String?
        let message: String?
    }

    struct Options: Decodable, Sendable {
        let marginFraction: Double?
        let minMarginSecs: Int64?
        let renewAfterSecs: Int64?
    }

    struct Network: Decodable, Sendable {
        let connectTimeoutMs: Int64?
        let readTimeoutMs: Int64?
        let maxRetries: Int64?
        let extraCaPem: String?
    }

    struct Case: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let op: String
        let service: String?
        let now: Int64?
        let claims: ClaimsJSON?
        let pem: String?
        let keyFile: String?
        let keyId: String?
        let clockSkewSecs: Int64?
        let token: String?
        let publicKeyPem: String?
        let options: Options?
        let network: Network?
        let clientId: String?
        let teamId: String?
        let input: String?
        let seconds: Int64?
        let nanos: Int64?
        let expect: Expect

        var description: String { name }
    }

    let cases: [Case]
}
