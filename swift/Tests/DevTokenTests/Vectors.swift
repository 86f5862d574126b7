import DevToken
import Foundation

/// `tests/vectors/tokens.json`, the known-answer vectors every language's suite reads (its token
/// cases; other members are ignored).
struct Vectors: Decodable, Sendable {
    struct Key: Decodable, Sendable {
        let keyId: String
        let pem: String
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

        var claims: Claims {
            Claims(
                issuer: issuer, issuedAt: issuedAt, expiresAt: expiresAt, ttl: ttl,
                origins: origins ?? [], bundleId: bundleId, subject: subject, scope: scope ?? [])
        }
    }

    /// Signs `claims` for `service` at `now` and must give `token` byte for byte.
    struct TokenCase: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let service: String
        let now: Int64
        let clockSkew: Int64
        let claims: ClaimsJSON
        let token: String

        var description: String { name }
    }

    let key: Key
    let tokens: [TokenCase]

    /// The file, found from this source file's place in the repository
    /// (swift/Tests/DevTokenTests/ → the repository root).
    static let url = URL(filePath: #filePath)
        .deletingLastPathComponent()  // DevTokenTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // swift
        .deletingLastPathComponent()  // the repository root
        .appending(path: "tests/vectors/tokens.json")

    static func load() throws -> Vectors {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Vectors.self, from: Data(contentsOf: url))
    }

    /// The services by their command-line names (the vectors' `service`).
    static let services: [String: Service] = [
        "maps": .maps,
        "apple-music": .appleMusic,
        "app-store-server": .appStoreServer,
        "external-purchase-server": .externalPurchaseServer,
        "apps-and-books": .appsAndBooks,
        "app-store-connect": .appStoreConnect,
        "enterprise-program": .enterpriseProgram,
        "weatherkit": .weatherKit,
        "sign-in-with-apple": .signInWithApple,
        "apns": .apns,
        "device-check": .deviceCheck,
    ]

    func signer(clockSkew: Int64, backend: SigningBackend? = nil) throws -> Signer {
        try Signer.fromPem(pem: key.pem, keyId: key.keyId, clockSkewSecs: clockSkew, backend: backend)
    }
}
