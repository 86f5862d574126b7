import DevToken
import Foundation
import Testing

/// Keys inside SoftHSM2, reached by `pkcs11:` URIs. Needs the tokens of `tests/pkcs11/setup.sh`
/// (`eval "$(bash tests/pkcs11/setup.sh)"`, which tests/run-all.sh does): skipped without them,
/// failing under `CI=true`. Tokens are checked with `openssl dgst -verify` against the public
/// half of Apple's test key, which openssl reads from the key file setup.sh imported.
@Suite(
    .enabled(
        if: SoftHSM.fixture != nil || SoftHSM.required,
        "no SoftHSM2 fixture: install softhsm2, then eval \"$(bash tests/pkcs11/setup.sh)\""))
struct Pkcs11Tests {
    static let claims = Claims(issuer: "DEF123GHIJ", ttl: .seconds(3600))

    /// The fixture, or a failure under `CI=true`, where it must be there.
    static func softhsm() throws -> SoftHSM {
        try #require(SoftHSM.fixture, "DEVTOKEN_PKCS11_MODULE, DEVTOKEN_PKCS11_PIN_FILE and SOFTHSM2_CONF unset")
    }

    static func rule(of uri: String, keyId: String? = nil) -> String? {
        let error = #expect(throws: DevTokenError.self) { try Signer(pkcs11URI: uri, keyId: keyId) }
        #expect(error?.kind == "external_signer")
        #expect(error?.field == "signer")
        return error?.rule
    }

    @Test func aKeyInsideSoftHSMSignsTokensOpenSSLVerifies() throws {
        let hsm = try Self.softhsm()
        let apple = try hsm.applePublicKeyPEM()
        let signer = try Signer(pkcs11URI: hsm.uri("token=devtoken;object=AuthKey_ABC123DEFG"))
        #expect(signer.keyId == "ABC123DEFG")
        #expect(signer.publicKeyPEM == apple)
        for (service, claims) in [
            (Service.apns, Claims(issuer: "DEF123GHIJ")),
            (.appStoreConnect, Claims(issuer: "57246542-96fe-1a63-e053-0824d011072a")),
        ] {
            let token = try signer.signToken(service, claims: claims)
            #expect(try OpenSSL.verifies(token, publicKeyPEM: apple))
            let decoded = try verifyToken(token, publicKeyPEM: apple)
            #expect(decoded.headerJson.contains("\"kid\":\"ABC123DEFG\""))
        }
        // By CKA_ID, with the key id given.
        let byId = try Signer(pkcs11URI: hsm.uri("token=devtoken;id=%01"), keyId: "ABC123DEFG")
        let music = try byId.signToken(.appleMusic, claims: Self.claims)
        #expect(try OpenSSL.verifies(music, publicKeyPEM: apple))
        // For PyJWT too, after the suites (tests/pkcs11/verify_with_pyjwt.py in tests/run-all.sh).
        let apns = try signer.signToken(.apns, claims: Claims(issuer: "DEF123GHIJ"))
        let out = Fixtures.root.appending(path: "target/pkcs11-tokens")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("apns\t\(apns)\napple-music\t\(music)\n".utf8).write(to: out.appending(path: "swift.tsv"))
    }

    @Test func aTokenProviderOverTheHSMKeyCachesItsTokenAcrossTasks() async throws {
        let hsm = try Self.softhsm()
        let signer = try Signer(pkcs11URI: hsm.uri("token=devtoken;object=AuthKey_ABC123DEFG"))
        let apns = try TokenProvider(signer: signer, service: .apns, claims: Claims(issuer: "DEF123GHIJ"))
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try apns.token() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens.count == 1)
        #expect(apns.signatureCount == 1)
        #expect(try OpenSSL.verifies(#require(tokens.first), publicKeyPEM: hsm.applePublicKeyPEM()))
    }

    @Test func aMissingKeyIsKeyNotFound() throws {
        let hsm = try Self.softhsm()
        #expect(Self.rule(of: hsm.uri("token=devtoken;object=AuthKey_NOSUCHKEY0")) == "key_not_found")
    }

    @Test func aP384KeyIsWrongCurve() throws {
        let hsm = try Self.softhsm()
        #expect(Self.rule(of: hsm.uri("token=devtoken;object=P384Key"), keyId: "ABC123DEFG") == "wrong_curve")
        // Its label names no key id, and none is given.
        #expect(Self.rule(of: hsm.uri("token=devtoken;object=P384Key")) == "config")
    }

    @Test func aPinInTheURIIsRefusedAsConfig() throws {
        let hsm = try Self.softhsm()
        #expect(Self.rule(of: hsm.uri("token=devtoken;object=AuthKey_ABC123DEFG") + "&pin-value=1234") == "config")
    }

    /// On `devtoken-pin`, which no other test logs in to (a login lasts as long as the process).
    @Test func aWrongPinIsPinIncorrect() throws {
        let hsm = try Self.softhsm()
        let wrongPin = FileManager.default.temporaryDirectory.appending(path: "devtoken-wrong-pin-\(UUID().uuidString)")
        try "not-the-pin\n".write(to: wrongPin, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: wrongPin) }
        let uri =
            "pkcs11:token=devtoken-pin;object=AuthKey_ABC123DEFG?module-path=\(hsm.module)"
            + "&pin-source=file:\(wrongPin.path(percentEncoded: false))"
        let error = #expect(throws: DevTokenError.self) { try Signer(pkcs11URI: uri) }
        #expect(error?.kind == "external_signer")
        #expect(error?.rule == "pin_incorrect")
        #expect(error?.message.contains("not-the-pin") == false)
    }
}

/// The SoftHSM2 tokens of `tests/pkcs11/setup.sh`, from the variables it exports.
struct SoftHSM: Sendable {
    let module: String
    let pinFile: String

    static let fixture: SoftHSM? = {
        let environment = ProcessInfo.processInfo.environment
        guard let module = environment["DEVTOKEN_PKCS11_MODULE"], let pinFile = environment["DEVTOKEN_PKCS11_PIN_FILE"],
            environment["SOFTHSM2_CONF"] != nil
        else { return nil }
        return SoftHSM(module: module, pinFile: pinFile)
    }()

    /// Under `CI=true` the fixture must be there: the suite runs and fails without it.
    static let required = ProcessInfo.processInfo.environment["CI"] == "true"

    /// A `pkcs11:` URI for `path` (token and key) with the module and the PIN file.
    func uri(_ path: String) -> String {
        "pkcs11:\(path)?module-path=\(module)&pin-source=file:\(pinFile)"
    }

    /// The public half of the key setup.sh imported (`$DEVTOKEN_APPLE_TEST_KEY`, else the shared
    /// fixture beside the repository), as openssl writes it.
    func applePublicKeyPEM() throws -> String {
        let key =
            ProcessInfo.processInfo.environment["DEVTOKEN_APPLE_TEST_KEY"]
            ?? Fixtures.root.appending(path: "../shared/fixtures/apple-testSigningKey.p8").path(percentEncoded: false)
        return try String(decoding: OpenSSLCommand.run(["pkey", "-in", key, "-pubout"]), as: UTF8.self)
    }
}
