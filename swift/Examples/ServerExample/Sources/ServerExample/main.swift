// The token side of a server that calls Apple's APIs, the way a Vapor or Hummingbird app would
// hold it: one `TokenService` made at start-up and shared by every request handler.
//
//     ServerExample <AuthKey_KEYID.p8> [issuer-id] [team-id] [bundle-id]
//
// The key id comes from the key file's name. Prints the App Store Server API token alone on a
// line (`app-store-server: <token>`, for scripts), then asks for the APNs token twice: the second
// is the cached first, and the provider has still signed only one token.
import DevToken
import Foundation

/// What a server keeps for its lifetime: the parsed key and the APNs token cache. `Sendable`, so
/// handlers on any thread or task share one instance.
struct TokenService: Sendable {
    let signer: Signer
    let issuerId: String
    let bundleId: String
    let apns: TokenProvider

    init(keyFile: URL, issuerId: String, teamId: String, bundleId: String) throws(DevTokenError) {
        signer = try Signer(contentsOf: keyFile)
        self.issuerId = issuerId
        self.bundleId = bundleId
        // APNs wants one token reused for 20 to 60 minutes: the provider renews it after 40.
        apns = try TokenProvider(signer: signer, service: .apns, claims: Claims(issuer: teamId))
    }

    /// For an App Store Server API request: a new token each time, the service's default lifetime.
    func appStoreServerToken() throws(DevTokenError) -> String {
        try signer.signToken(.appStoreServer, claims: Claims(issuer: issuerId, bundleId: bundleId))
    }

    /// For an APNs request (`authorization: bearer <token>`): the cached token, read without a lock.
    func apnsToken() throws(DevTokenError) -> String {
        try apns.token()
    }
}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("ServerExample: \(message)\n".utf8))
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard (1...4).contains(arguments.count) else {
    fail("usage: ServerExample <AuthKey_KEYID.p8> [issuer-id] [team-id] [bundle-id]", status: 2)
}
func argument(_ index: Int, default value: String) -> String {
    index < arguments.count ? arguments[index] : value
}

do {
    let service = try TokenService(
        keyFile: URL(filePath: arguments[0]),
        issuerId: argument(1, default: "57246542-96fe-1a63-e053-0824d011072a"),
        teamId: argument(2, default: "DEF123GHIJ"),
        bundleId: argument(3, default: "com.example.app"))
    print("key id: \(service.signer.keyId)")
    print("app-store-server: \(try service.appStoreServerToken())")

    let first = try service.apnsToken()
    let second = try service.apnsToken()
    print("apns: \(first)")
    guard second == first, service.apns.signatureCount == 1 else {
        fail("the second APNs token was signed anew; the provider should have cached the first", status: 1)
    }
    print("apns again: the same cached token (tokens signed: \(service.apns.signatureCount))")
} catch {
    fail(String(describing: error), status: 1)
}
