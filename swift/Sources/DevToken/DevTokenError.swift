import DevTokenUniFFI
import Foundation

/// Every devtoken failure, one case per core error kind. `kind`, `field` and `rule` are the
/// core's stable codes (the same in Rust, Python, Kotlin and Swift; `tests/vectors/errors.json`
/// lists them), and `description` is the core's sentence, which names the field, the rule and
/// the numbers.
///
///     do {
///         _ = try signer.signToken(
///             .appStoreServer,
///             claims: Claims(issuer: issuerID, bundleId: bundle, ttl: .seconds(7200))
///         )
///     } catch .invalidClaim(let field, let rule, let message) {
///         print(field, rule, message)  // exp max_lifetime exp is 7200 s after iat; ...
///     } catch {
///         print(error.kind, error)     // every other case
///     }
public enum DevTokenError: Error, LocalizedError, CustomStringConvertible, Sendable, Equatable {
    /// The key is not a usable P-256 key; `rule` says why (`encrypted`, `wrong_curve`, ...).
    case invalidKey(field: String, rule: String, message: String)
    /// A claim or header field breaks a rule of the service.
    case invalidClaim(field: String, rule: String, message: String)
    /// The text is not a compact JWS.
    case malformedToken(message: String)
    /// The signature is not a valid ES256 signature by the given key.
    case badSignature(message: String)
    /// An option (clock skew, margins, network settings) or a provider's template is not usable.
    case invalidOption(field: String, rule: String, message: String)
    /// A forced refresh would replace a provider token sooner than Apple allows.
    case refreshTooSoon(waitSeconds: Int64, message: String)
    /// Apple refused the token (HTTP 401/403); `findings` say what is wrong with it.
    case appleRejected(status: Int, appleMessage: String, details: [String], findings: [Finding], message: String)
    /// Apple answered 429: the daily quota is used up. Not retried.
    case quotaExceeded(retryAfterSeconds: Int64?, message: String)
    /// The server could not be reached, or kept answering 5xx, after every retry.
    case network(attempts: Int, message: String)
    /// A 2xx answer whose body is not what Apple documents.
    case malformedResponse(status: Int, message: String)
    /// A key file could not be read.
    case io(message: String)
    /// An external signer (PKCS#11, a KMS, a closure) failed, timed out or answered something that
    /// is not a signature by its declared key; `rule` says which (`failed`, `timeout`, `wrong_key`, ...).
    case externalSigner(field: String, rule: String, message: String)
    /// The binding itself failed (a uniffi internal error); not a core kind, and a bug if seen.
    case internalFailure(message: String)

    /// The core's error kind: `invalid_key`, `invalid_claim`, `invalid_option`, `network`, ...
    /// (the core's code of ``errorKind``), or `internal` for ``internalFailure``.
    public var kind: String {
        errorKind.map { DevTokenUniFFI.errorKindCode(kind: $0) } ?? "internal"
    }

    /// The core's error kind of this case; `nil` for ``internalFailure``, which is not one.
    public var errorKind: ErrorKind? {
        switch self {
        case .invalidKey: .invalidKey
        case .invalidClaim: .invalidClaim
        case .malformedToken: .malformedToken
        case .badSignature: .badSignature
        case .invalidOption: .invalidOption
        case .refreshTooSoon: .refreshTooSoon
        case .appleRejected: .appleRejected
        case .quotaExceeded: .quotaExceeded
        case .network: .network
        case .malformedResponse: .malformedResponse
        case .io: .io
        case .externalSigner: .externalSigner
        case .internalFailure: nil
        }
    }

    /// The JWT member (`exp`), option (`margin_fraction`) or `key` at fault, when there is one.
    public var field: String? {
        switch self {
        case .invalidKey(let field, _, _), .invalidClaim(let field, _, _), .invalidOption(let field, _, _),
            .externalSigner(let field, _, _):
            field
        default: nil
        }
    }

    /// The rule's code (`max_lifetime`, `range`, `encrypted`, ...), when there is one.
    public var rule: String? {
        switch self {
        case .invalidKey(_, let rule, _), .invalidClaim(_, let rule, _), .invalidOption(_, let rule, _),
            .externalSigner(_, let rule, _):
            rule
        default: nil
        }
    }

    /// The core's sentence.
    public var message: String {
        switch self {
        case .invalidKey(_, _, let message), .invalidClaim(_, _, let message),
            .invalidOption(_, _, let message), .malformedToken(let message), .badSignature(let message),
            .refreshTooSoon(_, let message), .appleRejected(_, _, _, _, let message),
            .quotaExceeded(_, let message), .network(_, let message), .malformedResponse(_, let message),
            .io(let message), .externalSigner(_, _, let message), .internalFailure(let message):
            message
        }
    }

    public var description: String { message }

    public var errorDescription: String? { message }

    /// The generated error, case by case; the switch is exhaustive, so a new core kind fails to
    /// compile here until it is mapped.
    init(_ error: TokenError) {
        switch error {
        case .InvalidKey(let reason, _, let field, let rule):
            self = .invalidKey(field: field, rule: rule, message: reason)
        case .InvalidClaim(let reason, _, let field, let rule):
            self = .invalidClaim(field: field, rule: rule, message: reason)
        case .MalformedToken(let reason, _):
            self = .malformedToken(message: reason)
        case .BadSignature(let reason, _):
            self = .badSignature(message: reason)
        case .Io(let reason, _):
            self = .io(message: reason)
        case .InvalidOption(let reason, _, let field, let rule):
            self = .invalidOption(field: field, rule: rule, message: reason)
        case .RefreshTooSoon(let reason, _, let waitSecs):
            self = .refreshTooSoon(waitSeconds: waitSecs, message: reason)
        case .AppleRejected(let reason, _, let status, let appleMessage, let details, let findings):
            self = .appleRejected(
                status: Int(status), appleMessage: appleMessage, details: details, findings: findings, message: reason)
        case .QuotaExceeded(let reason, _, let retryAfterSecs):
            self = .quotaExceeded(retryAfterSeconds: retryAfterSecs, message: reason)
        case .Network(let reason, _, let attempts):
            self = .network(attempts: Int(attempts), message: reason)
        case .MalformedResponse(let reason, _, let status):
            self = .malformedResponse(status: Int(status), message: reason)
        case .ExternalSigner(let reason, _, let field, let rule, _):
            self = .externalSigner(field: field, rule: rule, message: reason)
        }
    }
}

/// Runs `body`, turning the generated error type into ``DevTokenError``.
@inline(__always)
func translatingErrors<T>(_ body: () throws -> T) throws(DevTokenError) -> T {
    do {
        return try body()
    } catch let error as TokenError {
        throw DevTokenError(error)
    } catch {
        throw .internalFailure(message: String(describing: error))
    }
}
