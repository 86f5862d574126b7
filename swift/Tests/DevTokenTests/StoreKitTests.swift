import DevToken
import Foundation
import Testing

/// `tests/vectors/storekit.json`: one known answer per StoreKit kind.
struct StoreKitVector: Decodable, Sendable, CustomStringConvertible {
    /// A vector's `input`; the members a kind does not use are absent.
    struct Input: Decodable, Sendable {
        var issuerId: String?
        var bundleId: String?
        var productId: String?
        var offerId: String?
        var transactionId: String?
        var allowIntroductoryOffer: Bool?
        var request: String?
        var applicationUsername: String?
        var nonce: String?
        var timestampMs: Int64?
    }

    let name: String
    let kind: String
    let key: Vectors.Key
    let now: Int64?
    let input: Input
    let token: String?
    let signature: String?
    let nonce: String?
    let timestampMs: Int64?

    var description: String { name }
}

/// `tests/vectors/storekit_errors.json`: a kind's vector input with `change` applied must be
/// refused with `expect`'s kind, field and rule.
struct StoreKitErrorVectors: Decodable, Sendable {
    /// A changed member's new value (a `null` removes the member).
    enum Value: Decodable, Sendable {
        case string(String)
        case integer(Int64)
        case removed

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .removed
            } else if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        var string: String? {
            if case .string(let text) = self { text } else { nil }
        }

        var integer: Int64? {
            if case .integer(let number) = self { number } else { nil }
        }
    }

    struct Expect: Decodable, Sendable {
        let kind: String
        let field: String
        let rule: String
    }

    struct Case: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let kind: String
        let change: [String: Value]
        let expect: Expect

        var description: String { name }
    }

    let cases: [Case]
}

/// What a kind signs: a compact JWS or a V1 signature.
enum StoreKitSigned {
    case jws(String)
    case v1(PromotionalOfferV1Signature)
}

/// StoreKit in-app signatures from Swift: the vectors byte for byte, the refused inputs with the
/// core's field and rule, and the V1 check (as in the Rust, Python and Kotlin suites).
@Suite struct StoreKitTests {
    static let vectors: [StoreKitVector] = load("tests/vectors/storekit.json")
    static let errors: StoreKitErrorVectors = load("tests/vectors/storekit_errors.json")

    static func load<T: Decodable>(_ path: String) -> T {
        do {
            return try Fixtures.decoder().decode(T.self, from: Data(contentsOf: Fixtures.root.appending(path: path)))
        } catch {
            fatalError("cannot read \(path): \(error)")
        }
    }

    static func signer(_ vector: StoreKitVector, backend: SigningBackend? = nil) throws -> Signer {
        try Signer(pem: vector.key.pem, keyId: vector.key.keyId, backend: backend)
    }

    static func v1Offer(_ input: StoreKitVector.Input) -> PromotionalOfferV1 {
        PromotionalOfferV1(
            bundleId: input.bundleId!, productId: input.productId!, offerId: input.offerId!,
            applicationUsername: input.applicationUsername, nonce: input.nonce, timestampMs: input.timestampMs)
    }

    /// Signs `input` as `kind` at `now` (when given).
    static func sign(
        _ signer: Signer, kind: String, input: StoreKitVector.Input, now: Int64?
    ) throws -> StoreKitSigned {
        let at = now.map(Fixtures.date)
        switch kind {
        case "promotional-offer":
            return .jws(
                try signer.promotionalOffer(
                    PromotionalOffer(
                        issuerId: input.issuerId!, bundleId: input.bundleId!, productId: input.productId!,
                        offerId: input.offerId!, transactionId: input.transactionId, nonce: input.nonce), at: at))
        case "intro-eligibility":
            return .jws(
                try signer.introOfferEligibility(
                    IntroOfferEligibility(
                        issuerId: input.issuerId!, bundleId: input.bundleId!, productId: input.productId!,
                        allowIntroductoryOffer: input.allowIntroductoryOffer!, transactionId: input.transactionId!,
                        nonce: input.nonce), at: at))
        case "advanced-commerce":
            return .jws(
                try signer.advancedCommerceRequest(
                    AdvancedCommerceRequest(
                        issuerId: input.issuerId!, bundleId: input.bundleId!, request: Data(input.request!.utf8),
                        nonce: input.nonce), at: at))
        case "promotional-offer-v1":
            return .v1(try signer.promotionalOfferV1(v1Offer(input)))
        default:
            fatalError("unknown kind \(kind)")
        }
    }

    @Test func everyKindHasAVectorAndErrorCases() {
        let kinds: Set = ["promotional-offer", "intro-eligibility", "advanced-commerce", "promotional-offer-v1"]
        #expect(Set(Self.vectors.map(\.kind)) == kinds)
        #expect(Set(Self.errors.cases.map(\.kind)) == kinds)
    }

    @Test(arguments: vectors, [SigningBackend.fixedBaseComb, .stockP256])
    func vectorIsReproducedByteForByte(_ vector: StoreKitVector, backend: SigningBackend) throws {
        let signer = try Self.signer(vector, backend: backend)
        switch try Self.sign(signer, kind: vector.kind, input: vector.input, now: vector.now) {
        case .jws(let token):
            #expect(token == vector.token)
            _ = try verifyToken(token, publicKeyPEM: signer.publicKeyPEM)
        case .v1(let signed):
            #expect(signed.signature == vector.signature)
            #expect(signed.nonce == vector.nonce)
            #expect(signed.timestampMs == vector.timestampMs)
            #expect(signed.keyId == vector.key.keyId)
            #expect(
                try verifyPromotionalOfferV1(
                    Self.v1Offer(vector.input), keyId: signed.keyId, signature: signed.signature,
                    publicKeyPEM: signer.publicKeyPEM))
        }
    }

    /// `input` with `change` applied; members are matched by name without case or underscores.
    static func changed(_ input: StoreKitVector.Input, _ change: [String: StoreKitErrorVectors.Value])
        -> StoreKitVector.Input
    {
        var input = input
        for (member, value) in change {
            switch member.replacingOccurrences(of: "_", with: "").lowercased() {
            case "issuerid": input.issuerId = value.string
            case "bundleid": input.bundleId = value.string
            case "productid": input.productId = value.string
            case "offerid": input.offerId = value.string
            case "transactionid": input.transactionId = value.string
            case "request": input.request = value.string
            case "applicationusername": input.applicationUsername = value.string
            case "nonce": input.nonce = value.string
            case "timestampms": input.timestampMs = value.integer
            default: Issue.record("a change of an unknown member \(member)")
            }
        }
        return input
    }

    @Test(arguments: errors.cases)
    func badInputGivesTheCoresFieldAndRule(_ vector: StoreKitErrorVectors.Case) throws {
        let base = try #require(Self.vectors.first { $0.kind == vector.kind })
        let input = Self.changed(base.input, vector.change)
        let signer = try Self.signer(base)
        let error = try #require(throws: DevTokenError.self) {
            _ = try Self.sign(signer, kind: vector.kind, input: input, now: base.now)
        }
        #expect(error.kind == vector.expect.kind, "\(error)")
        #expect(error.field == vector.expect.field, "\(error)")
        #expect(error.rule == vector.expect.rule, "\(error)")
    }

    @Test func v1CheckRefusesAnyChange() throws {
        let vector = try #require(Self.vectors.first { $0.kind == "promotional-offer-v1" })
        let publicKey = try Self.signer(vector).publicKeyPEM
        let signature = try #require(vector.signature)
        var offer = Self.v1Offer(vector.input)
        offer.offerId = "SAVE60"
        #expect(
            try !verifyPromotionalOfferV1(
                offer, keyId: vector.key.keyId, signature: signature, publicKeyPEM: publicKey))
        #expect(
            try !verifyPromotionalOfferV1(
                Self.v1Offer(vector.input), keyId: vector.key.keyId, signature: "not base64 DER",
                publicKeyPEM: publicKey))
        offer = Self.v1Offer(vector.input)
        offer.timestampMs = nil
        let error = try #require(throws: DevTokenError.self) {
            _ = try verifyPromotionalOfferV1(
                offer, keyId: vector.key.keyId, signature: signature, publicKeyPEM: publicKey)
        }
        #expect(error == .invalidClaim(field: "timestamp", rule: "required", message: error.description))
    }

    @Test func leftOutFieldsTakeTheCoresDefaults() throws {
        let signer = try Signer.generate(keyId: "ABC123DEFG")
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let offer = PromotionalOfferV1(bundleId: "com.example.app", productId: "com.example.monthly", offerId: "SAVE50")
        let first = try signer.promotionalOfferV1(offer)
        let second = try signer.promotionalOfferV1(offer)
        #expect(first.nonce != second.nonce)
        #expect(UUID(uuidString: first.nonce) != nil)
        #expect(first.timestampMs >= before - 1 && second.timestampMs >= first.timestampMs)
        let token = try signer.promotionalOffer(
            PromotionalOffer(
                issuerId: "57246542-96fe-1a63-e053-0824d011072a", bundleId: "com.example.app",
                productId: "com.example.monthly", offerId: "SAVE50"))
        let claims = try verifyToken(token, publicKeyPEM: signer.publicKeyPEM).claimsJson
        #expect(claims.contains("\"aud\":\"promotional-offer\""))
        #expect(!claims.contains("\"exp\"") && !claims.contains("transactionId"))
    }
}
