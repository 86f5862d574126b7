@file:JvmName("DevToken")

package dev.devtoken

import dev.devtoken.ffi.TokenException
import java.nio.file.Path
import java.time.Duration

/** An Apple server API that takes an ES256 developer token (generated from the core's enum). */
typealias Service = dev.devtoken.ffi.Service

/** The payload of a token; every field has a default, so name only what the service needs. */
typealias Claims = dev.devtoken.ffi.Claims

/** One reason (or note) why Apple would reject a token. */
typealias Finding = dev.devtoken.ffi.Finding

/** How the signature is computed: the default comb, or p256's own signer for comparison. */
typealias SigningBackend = dev.devtoken.ffi.SigningBackend

/** How serious a [Finding] is. */
typealias Level = dev.devtoken.ffi.Level

/** How a [TokenProvider] renews: margin, APNs renewal age, opt-in reuse of per-request tokens. */
typealias ProviderOptions = dev.devtoken.ffi.ProviderOptions

/** A clock that moves only when told to, for tests of [TokenProvider]. */
typealias ManualClock = dev.devtoken.ffi.ManualClock

/** How HTTP requests to Apple are made: base URL, timeouts, user agent, extra CA, retries, deadline. */
typealias NetworkOptions = dev.devtoken.ffi.NetworkOptions

/** What a service's test endpoint said of a token. */
typealias ProbeVerdict = dev.devtoken.ffi.ProbeVerdict

/** A token's header and claims as JSON object text. */
typealias DecodedToken = dev.devtoken.ffi.DecodedToken

/** The options a [TokenProvider] runs with, as the core resolved them. */
typealias EffectiveProviderOptions = dev.devtoken.ffi.EffectiveProviderOptions

/** The options a [MapsTokenProvider] or [OAuthTokenProvider] runs with, as the core resolved them. */
typealias EffectiveMapsOptions = dev.devtoken.ffi.EffectiveMapsOptions

/** The core's defaults for every option a caller may leave out. */
typealias CoreDefaults = dev.devtoken.ffi.CoreDefaults

/** A StoreKit promotional offer V2 to sign; a null nonce is a fresh random UUID. */
typealias PromotionalOffer = dev.devtoken.ffi.PromotionalOffer

/** A StoreKit introductory-offer eligibility to sign; a null nonce is a fresh random UUID. */
typealias IntroOfferEligibility = dev.devtoken.ffi.IntroOfferEligibility

/** A StoreKit Advanced Commerce in-app request to sign: the request's JSON bytes, sent as given. */
typealias AdvancedCommerceRequest = dev.devtoken.ffi.AdvancedCommerceRequest

/**
 * A StoreKit promotional offer V1 to sign or check; fields left null take the core's defaults
 * (empty application username, fresh nonce, current time). A check needs the nonce and timestamp.
 */
typealias PromotionalOfferV1 = dev.devtoken.ffi.PromotionalOfferV1

/** A signed promotional offer V1: signature (standard base64 DER), nonce, timestamp, key id. */
typealias PromotionalOfferV1Signature = dev.devtoken.ffi.PromotionalOfferV1Signature

/** The offset of Apple's clock from the local one, as measured (offset, uncertainty, when). */
typealias ClockOffset = dev.devtoken.ffi.ClockOffset

/** One item of [doctor]'s checklist: name, status, what was found, and how to fix it. */
typealias DoctorCheck = dev.devtoken.ffi.DoctorCheck

/** How a [DoctorCheck] came out. */
typealias CheckStatus = dev.devtoken.ffi.CheckStatus

/**
 * Base class of every devtoken error. [message] is the core's full sentence; [kind], [field] and
 * [rule] are the core's stable codes (`tests/vectors/errors.json` lists them), the same in every
 * language, read from the core's error (never restated here).
 */
sealed class DevTokenException(
    message: String,
    /** The core's error kind: `invalid_key`, `invalid_claim`, `invalid_option`, `network`, ... */
    val kind: String,
    /** The JWT member (`exp`), option (`margin_fraction`) or `key` at fault, when there is one. */
    val field: String? = null,
    /** The rule's code (`max_lifetime`, `range`, `encrypted`, ...), when there is one. */
    val rule: String? = null,
) : RuntimeException(message)

/** The key is not a usable P-256 key; [rule] says why (`encrypted`, `wrong_curve`, ...). */
class InvalidKeyException internal constructor(error: TokenException.InvalidKey) :
    DevTokenException(error.reason, error.kind, error.field, error.rule)

/** A claim or header field breaks a rule of the service. */
class InvalidClaimsException internal constructor(error: TokenException.InvalidClaim) :
    DevTokenException(error.reason, error.kind, error.field, error.rule)

/** The text is not a compact JWS. */
class MalformedTokenException internal constructor(error: TokenException.MalformedToken) :
    DevTokenException(error.reason, error.kind)

/** The signature is not a valid ES256 signature by the given key. */
class SignatureException internal constructor(error: TokenException.BadSignature) :
    DevTokenException(error.reason, error.kind)

/** A key file could not be read. */
class KeyFileException internal constructor(error: TokenException.Io) : DevTokenException(error.reason, error.kind)

/** An option (clock skew, margins, network settings) or a provider's claims template is not usable. */
class InvalidOptionException internal constructor(error: TokenException.InvalidOption) :
    DevTokenException(error.reason, error.kind, error.field, error.rule)

/** Apple refused the token (HTTP 401/403); [findings] explain what is wrong with it. */
class AppleRejectedException internal constructor(error: TokenException.AppleRejected) :
    DevTokenException(error.reason, error.kind) {
    /** The HTTP status. */
    val status: Int = error.status

    /** Apple's error message (or the raw body when it is not an ErrorResponse). */
    val appleMessage: String = error.appleMessage

    /** Apple's error details. */
    val details: List<String> = error.details

    /** What [inspectToken] finds wrong with the token that was sent. */
    val findings: List<Finding> = error.findings
}

/** Apple answered 429: the daily quota is used up. Not retried. */
class QuotaExceededException internal constructor(error: TokenException.QuotaExceeded) :
    DevTokenException(error.reason, error.kind) {
    /** The Retry-After header in seconds, when Apple sent one. */
    val retryAfterSecs: Long? = error.retryAfterSecs
}

/** The server could not be reached, or kept answering 5xx, after every retry. */
class NetworkException internal constructor(error: TokenException.Network) :
    DevTokenException(error.reason, error.kind) {
    /** How many requests were made. */
    val attempts: Int = error.attempts
}

/** A 2xx answer whose body is not what Apple documents. */
class MalformedResponseException internal constructor(error: TokenException.MalformedResponse) :
    DevTokenException(error.reason, error.kind) {
    /** The HTTP status. */
    val status: Int = error.status
}

/**
 * An external signer (PKCS#11, a KMS, a callback) failed, timed out or answered something that is
 * not a signature by its declared key; [rule] says which (`failed`, `timeout`, `wrong_key`, ...).
 * When an [ExternalSigner] threw, [cause] is what it threw.
 */
class ExternalSignerException internal constructor(error: TokenException.ExternalSigner, cause: Throwable?) :
    DevTokenException(error.reason, error.kind, error.field, error.rule) {
    init {
        cause?.let(::initCause)
    }
}

/** A forced refresh would replace a provider token sooner than Apple allows. */
class RefreshTooSoonException internal constructor(error: TokenException.RefreshTooSoon) :
    DevTokenException(error.reason, error.kind) {
    /** Seconds until a refresh is allowed. */
    val waitSecs: Long = error.waitSecs
}

/**
 * Runs [block], turning the generated error type into the [DevTokenException] tree. The `when` is
 * exhaustive over the generated variants, one per core error kind: a new kind fails to compile here.
 */
internal inline fun <T> translatingErrors(block: () -> T): T =
    try {
        block()
    } catch (error: TokenException) {
        throw when (error) {
            is TokenException.InvalidKey -> InvalidKeyException(error)
            is TokenException.InvalidClaim -> InvalidClaimsException(error)
            is TokenException.MalformedToken -> MalformedTokenException(error)
            is TokenException.BadSignature -> SignatureException(error)
            is TokenException.Io -> KeyFileException(error)
            is TokenException.InvalidOption -> InvalidOptionException(error)
            is TokenException.RefreshTooSoon -> RefreshTooSoonException(error)
            is TokenException.AppleRejected -> AppleRejectedException(error)
            is TokenException.QuotaExceeded -> QuotaExceededException(error)
            is TokenException.Network -> NetworkException(error)
            is TokenException.MalformedResponse -> MalformedResponseException(error)
            is TokenException.ExternalSigner -> ExternalSignerException(error, ForeignDigestSigner.thrownFor(error))
        }
    }

/** The core's defaults for every option left out (read from the core, never restated here). */
fun coreDefaults(): CoreDefaults = dev.devtoken.ffi.coreDefaults()

/**
 * Signs ES256 developer tokens with one parsed key. Thread-safe: share one instance.
 *
 * ```kotlin
 * val signer = Signer.fromFile("AuthKey_ABC123DEFG.p8")
 * val token = signer.signToken(Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ", ttl = 3600))
 * ```
 */
class Signer private constructor(internal val native: dev.devtoken.ffi.Signer) : AutoCloseable {
    companion object {
        /**
         * Parses a PEM in any pasted form (CRLF, literal `\n`, one line, PKCS#8 or SEC1).
         * [clockSkewSecs]: how far `iat` is back-dated (null: the core's default, [coreDefaults]).
         * [backend] `STOCK_P256` selects p256's own signer, for comparison; both sign the same bytes.
         */
        @JvmStatic
        @JvmOverloads
        fun fromPem(
            pem: String,
            keyId: String,
            clockSkewSecs: Long? = null,
            backend: SigningBackend? = null,
        ): Signer = translatingErrors { Signer(dev.devtoken.ffi.Signer.fromPem(pem, keyId, clockSkewSecs, backend)) }

        /** Reads a key file; without [keyId], the id comes from an `AuthKey_<KEYID>.p8` name. */
        @JvmStatic
        @JvmOverloads
        fun fromFile(
            path: String,
            keyId: String? = null,
            clockSkewSecs: Long? = null,
            backend: SigningBackend? = null,
        ): Signer = translatingErrors { Signer(dev.devtoken.ffi.Signer.fromFile(path, keyId, clockSkewSecs, backend)) }

        /** Like [fromFile] for a [Path]. */
        @JvmStatic
        @JvmOverloads
        fun fromFile(
            path: Path,
            keyId: String? = null,
            clockSkewSecs: Long? = null,
            backend: SigningBackend? = null,
        ): Signer = fromFile(path.toString(), keyId, clockSkewSecs, backend)

        /** A signer over a fresh random key, for tests and local use. */
        @JvmStatic
        @JvmOverloads
        fun generate(
            keyId: String,
            clockSkewSecs: Long? = null,
            backend: SigningBackend? = null,
        ): Signer = translatingErrors { Signer(dev.devtoken.ffi.Signer.generate(keyId, clockSkewSecs, backend)) }

        /**
         * A signer whose key is held by [signer] (a KMS client, an HSM; see [ExternalSigner]), declared by
         * [publicKeyPem] (SPKI PEM, as a KMS's `GetPublicKey` gives it, or any form [fromPem] takes): each
         * answer is verified against it before a token is returned. [timeout]: the longest wait for one
         * signature, in whole milliseconds (null: the core's default); a signer that hangs gives an
         * [ExternalSignerException] with rule `timeout`. [clockSkewSecs] as for [fromPem].
         */
        @JvmStatic
        @JvmOverloads
        fun fromExternal(
            publicKeyPem: String,
            keyId: String,
            timeout: Duration? = null,
            clockSkewSecs: Long? = null,
            signer: ExternalSigner,
        ): Signer =
            translatingErrors {
                Signer(
                    dev.devtoken.ffi.Signer.fromExternal(
                        publicKeyPem,
                        keyId,
                        ForeignDigestSigner(signer),
                        timeout?.let(::wholeMillis),
                        clockSkewSecs,
                    ),
                )
            }

        /**
         * A signer over a key inside an HSM, from an RFC 7512 `pkcs11:` [uri]: `module-path=`, the
         * token, the key by `object=` or `id=`, the PIN only from `pin-source=file:...` or `env:...`.
         * Without [keyId], a key labelled `AuthKey_<KEYID>` gives it. [timeout] and [clockSkewSecs]
         * as for [fromExternal]. A wrong PIN, a missing key or token, or a key that is not P-256 is
         * an [ExternalSignerException] whose [DevTokenException.rule] names the cause.
         *
         * ```kotlin
         * val signer = Signer.fromPkcs11(
         *     "pkcs11:token=prod;object=AuthKey_ABC123DEFG" +
         *         "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/hsm-pin",
         * )
         * ```
         */
        @JvmStatic
        @JvmOverloads
        fun fromPkcs11(
            uri: String,
            keyId: String? = null,
            timeout: Duration? = null,
            clockSkewSecs: Long? = null,
        ): Signer =
            translatingErrors {
                Signer(dev.devtoken.ffi.Signer.fromPkcs11(uri, keyId, timeout?.let(::wholeMillis), clockSkewSecs))
            }

        /** [timeout] in whole milliseconds, saturating where a [Duration] exceeds a Long of them. */
        private fun wholeMillis(timeout: Duration): Long =
            runCatching { timeout.toMillis() }.getOrDefault(Long.MAX_VALUE)
    }

    /** The key id sent as `kid`. */
    val keyId: String
        get() = native.keyId()

    /** How far `iat` is back-dated when claims carry no `issuedAt`, in seconds. */
    val clockSkewSecs: Long
        get() = native.clockSkewSecs()

    /** The public key as SPKI PEM, to verify tokens. */
    fun publicKeyPem(): String = native.publicKeyPem()

    /** The longest wait for one signature of an [ExternalSigner]; null for a signer that holds its key. */
    val externalTimeout: Duration?
        get() = native.externalTimeoutMs()?.let(Duration::ofMillis)

    /**
     * Validates [claims] against [service]'s rules and signs a token, at the system clock's time,
     * or at [now] (UNIX seconds) when given: the same key, claims and time give the same token.
     */
    @JvmOverloads
    fun signToken(service: Service, claims: Claims, now: Long? = null): String =
        LeanCalls.signToken(leanCallId, service, claims, now)
            ?: translatingErrors {
                // The lean call declined: this call reports the typed error (or signs a token
                // too long for the lean call's buffer).
                if (now == null) native.signToken(service, claims) else native.signTokenAt(service, claims, now)
            }

    /**
     * Signs a StoreKit promotional offer V2 (compact JWS) at the system clock's time, or with
     * `iat` = [now] (UNIX seconds) when given: with a given nonce, the same inputs give the same bytes.
     */
    @JvmOverloads
    fun promotionalOffer(offer: PromotionalOffer, now: Long? = null): String =
        translatingErrors { native.promotionalOffer(offer, now) }

    /** Signs a StoreKit introductory-offer eligibility (compact JWS), at [now] when given. */
    @JvmOverloads
    fun introOfferEligibility(eligibility: IntroOfferEligibility, now: Long? = null): String =
        translatingErrors { native.introOfferEligibility(eligibility, now) }

    /** Signs a StoreKit Advanced Commerce in-app request (compact JWS), at [now] when given. */
    @JvmOverloads
    fun advancedCommerceRequest(request: AdvancedCommerceRequest, now: Long? = null): String =
        translatingErrors { native.advancedCommerceRequest(request, now) }

    /** Signs a StoreKit promotional offer V1: the signature with the nonce, timestamp and key id signed. */
    fun promotionalOfferV1(offer: PromotionalOfferV1): PromotionalOfferV1Signature =
        translatingErrors { native.promotionalOfferV1(offer) }

    /** This signer's id for [LeanCalls]. */
    internal val leanCallId: Long = native.leanCallId().toLong()

    override fun close() = native.close()

    override fun toString(): String = native.toString()
}

/**
 * A cached, self-renewing token following the service's reuse rule (the core's rule table):
 * long-lived tokens until a margin before `exp`, APNs/DeviceCheck tokens until their renewal age
 * ([coreDefaults]), never sooner than Apple's floor for a new provider token, App Store Server /
 * External Purchase Server tokens new for every call unless [ProviderOptions.reusePerRequestTokens]
 * is set. Thread-safe; reads of a fresh token never lock.
 *
 * ```kotlin
 * val apns = TokenProvider(signer, Service.APNS, Claims(issuer = "DEF123GHIJ"))
 * request.header("authorization", "bearer ${apns.token()}")
 * ```
 */
class TokenProvider
    @JvmOverloads
    constructor(
        signer: Signer,
        service: Service,
        claims: Claims,
        options: ProviderOptions = ProviderOptions(),
        clock: ManualClock? = null,
    ) : AutoCloseable {
        private val native: dev.devtoken.ffi.TokenProvider =
            translatingErrors { dev.devtoken.ffi.TokenProvider(signer.native, service, claims, options, clock) }

        /** The token to send now. */
        fun token(): String = LeanCalls.providerToken(leanCallId) ?: translatingErrors { native.token() }

        /** This provider's id for [LeanCalls]. */
        internal val leanCallId: Long = native.leanCallId().toLong()

        /** Signs a new token now, after Apple refused one (the rule table's floor for APNs still holds). */
        fun forceRefresh(): String = translatingErrors { native.forceRefresh() }

        /** The cached token while it is fresh, else null: never signs, never waits. */
        fun freshToken(): String? = native.freshToken()

        /**
         * After Apple refused [rejected] (401/403): a new token when [rejected] is still the current
         * one, else the current token, which another caller already renewed. However many callers
         * report one refused token at once, it is replaced once.
         */
        fun refreshRejected(rejected: String): String = translatingErrors { native.refreshRejected(rejected) }

        /**
         * Records an offset of Apple's clock measured elsewhere (e.g. by [measureClockOffset]); later
         * tokens are back-dated when the local clock is ahead of Apple's by more than the clock skew
         * covers. Returns whether the correction changed.
         */
        fun observeClockOffset(offset: ClockOffset): Boolean = native.observeClockOffset(offset)

        /** The last offset of Apple's clock observed, if any. */
        fun clockOffset(): ClockOffset? = native.clockOffset()

        /** How many tokens were back-dated by an observed clock offset. */
        val clockCorrections: Long
            get() = native.clockCorrections()

        /** When the current token expires (UNIX seconds), if one has been signed. */
        val expiresAt: Long?
            get() = native.expiresAt()

        /** Seconds until the current token expires, if one has been signed. */
        val secondsLeft: Long?
            get() = native.secondsLeft()

        /** The current token's claims as JSON, for logging. */
        val currentClaimsJson: String?
            get() = native.currentClaimsJson()

        /** How many tokens this provider has signed. */
        val signatureCount: Long
            get() = native.signatureCount()

        /** The options in effect: the core's defaults where [ProviderOptions] left a field null. */
        val options: EffectiveProviderOptions
            get() = native.options()

        /**
         * The period of the shared `iat` grid (seconds) when this provider is fleet-aligned
         * ([ProviderOptions.aligned]; by default APNs and DeviceCheck), else null.
         */
        val alignmentPeriodSecs: Long?
            get() = native.alignmentPeriodSecs()

        override fun close() = native.close()
    }

/**
 * The Maps Server API access token from `GET /v1/token`, cached and exchanged again before it
 * expires (by default a margin of its life: see [coreDefaults]). Options left null take the
 * core's defaults. Thread-safe; fresh reads never lock.
 *
 * ```kotlin
 * val maps = MapsTokenProvider(signer, Claims(issuer = "DEF123GHIJ"))
 * request.header("authorization", "Bearer ${maps.accessToken()}")
 * ```
 */
class MapsTokenProvider
    @JvmOverloads
    constructor(
        signer: Signer,
        claims: Claims,
        network: NetworkOptions = NetworkOptions(),
        marginFraction: Double? = null,
        minMarginSecs: Long? = null,
        clock: ManualClock? = null,
    ) : AutoCloseable {
        private val native: dev.devtoken.ffi.MapsTokenProvider =
            translatingErrors {
                dev.devtoken.ffi.MapsTokenProvider(signer.native, claims, network, marginFraction, minMarginSecs, clock)
            }

        /** The access token to send to Maps Server API calls now. */
        fun accessToken(): String =
            LeanCalls.freshMapsAccessToken(leanCallId) ?: translatingErrors { native.accessToken() }

        /** This provider's id for [LeanCalls]. */
        internal val leanCallId: Long = native.leanCallId().toLong()

        /** The cached access token while it is fresh, else null: never exchanges, never waits. */
        fun freshAccessToken(): String? = native.freshAccessToken()

        /** Forgets the cached access token after a 401, as [OAuthTokenProvider.invalidate] does. */
        @JvmOverloads
        fun invalidate(rejected: String? = null): Boolean = native.invalidate(rejected)

        /** When the current access token expires (UNIX seconds), if one has been obtained. */
        fun expiresAt(): Long? = native.expiresAt()

        /** The signed Maps token that is exchanged. */
        fun mapsToken(): String = translatingErrors { native.mapsToken() }

        /** The offset of Apple's clock measured at the last exchange, if any. */
        fun clockOffset(): ClockOffset? = native.clockOffset()

        /** How many Maps tokens were back-dated by a measured clock offset. */
        val clockCorrections: Long
            get() = native.clockCorrections()

        /** How many exchanges succeeded. */
        val exchangeCount: Long
            get() = native.exchangeCount()

        /** The options in effect: the core's defaults where none were given. */
        val options: EffectiveMapsOptions
            get() = native.options()

        override fun close() = native.close()
    }

/**
 * An OAuth access token for Apple School Manager, Apple Business Manager or Apple Ads: a signed
 * client assertion (Apple Ads: client secret), renewed long before the rule table's limit,
 * exchanged with a `POST` to Apple's token endpoint; the access token is cached and exchanged
 * again a margin before `expires_in`, one exchange per renewal however many threads ask. [clientId] is
 * `SCHOOLAPI.<uuid>`, `BUSINESSAPI.<uuid>` or `SEARCHADS.<uuid>`; [teamId] is Apple Ads' `iss`
 * (School and Business Manager take none). The signer's key id is the portal's UUID. Options left
 * null take the core's defaults ([coreDefaults]). Thread-safe.
 *
 * ```kotlin
 * val signer = Signer.fromFile("private-key.pem", keyId = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b")
 * val ads = OAuthTokenProvider(signer, Service.APPLE_ADS, "SEARCHADS.<uuid>", teamId = "SEARCHADS.<uuid>")
 * request.header("authorization", "Bearer ${ads.accessToken()}")
 * ```
 */
class OAuthTokenProvider
    @JvmOverloads
    constructor(
        signer: Signer,
        /** The service whose token endpoint is called. */
        val service: Service,
        /** The client id sent with each exchange (and as the assertion's `sub`). */
        val clientId: String,
        teamId: String? = null,
        network: NetworkOptions? = null,
        marginFraction: Double? = null,
        minMarginSecs: Long? = null,
        clock: ManualClock? = null,
    ) : AutoCloseable {
        private val native: dev.devtoken.ffi.OAuthTokenProvider =
            translatingErrors {
                dev.devtoken.ffi.OAuthTokenProvider(
                    signer.native,
                    service,
                    clientId,
                    teamId,
                    network,
                    marginFraction,
                    minMarginSecs,
                    clock,
                )
            }

        /** The access token to send now (`Authorization: Bearer ...`); may block on an exchange. */
        fun accessToken(): String = translatingErrors { native.accessToken() }

        /** The cached access token while it is fresh, else null: never exchanges, never waits. */
        fun freshAccessToken(): String? = native.freshAccessToken()

        /**
         * Forgets the cached access token after an API call answered 401: only [rejected] when
         * given (so many threads invalidating the same token cause one exchange), else whatever
         * is cached. Returns whether a token was forgotten.
         */
        @JvmOverloads
        fun invalidate(rejected: String? = null): Boolean = native.invalidate(rejected)

        /** When the current access token expires (UNIX seconds), if one has been obtained. */
        fun expiresAt(): Long? = native.expiresAt()

        /** The signed client assertion (Apple Ads: client secret) that is exchanged. */
        fun assertion(): String = translatingErrors { native.assertion() }

        /** The offset of Apple's clock measured at the last exchange, if any. */
        fun clockOffset(): ClockOffset? = native.clockOffset()

        /** How many assertions were back-dated by a measured clock offset. */
        val clockCorrections: Long
            get() = native.clockCorrections()

        /** How many exchanges succeeded. */
        val exchangeCount: Long
            get() = native.exchangeCount()

        /** The options in effect: the core's defaults where none were given. */
        val options: EffectiveMapsOptions
            get() = native.options()

        override fun close() = native.close()

        /** The service and client id; never a token or assertion. */
        override fun toString(): String = "OAuthTokenProvider(service=$service, clientId=$clientId)"
    }

/** Calls [service]'s documented test endpoint with [token] and reports whether it was accepted. */
@JvmOverloads
fun probe(service: Service, token: String, network: NetworkOptions = NetworkOptions()): ProbeVerdict =
    translatingErrors { dev.devtoken.ffi.probe(service, token, network) }

/**
 * Measures the local clock's offset from Apple's with one request (by default to Sign in with
 * Apple's public keys; [NetworkOptions.baseUrl] picks another host).
 *
 * ```kotlin
 * apns.observeClockOffset(measureClockOffset())
 * ```
 */
@JvmOverloads
fun measureClockOffset(network: NetworkOptions? = null): ClockOffset =
    translatingErrors { dev.devtoken.ffi.measureClockOffset(network) }

/**
 * The core's setup checklist for [service] (key file, key id, identifiers, clock, a token signed
 * and inspected locally, Apple's verdict where a test endpoint exists), to run at startup and log.
 * [offline] skips the clock and probe checks. Never fails as a whole: each check has a status.
 *
 * ```kotlin
 * doctor("AuthKey_ABC123DEFG.p8", Service.APPLE_MUSIC, Claims(issuer = "DEF123GHIJ"))
 *     .filter { it.status != CheckStatus.OK }
 *     .forEach { log.warn("${it.name}: ${it.message} ${it.fix ?: ""}") }
 * ```
 */
@JvmOverloads
fun doctor(
    keyPath: String,
    service: Service,
    claims: Claims,
    keyId: String? = null,
    offline: Boolean = false,
    network: NetworkOptions? = null,
): List<DoctorCheck> = translatingErrors { dev.devtoken.ffi.doctor(keyPath, service, claims, keyId, offline, network) }

/** Checks a token's signature, alg and structure with [publicKeyPem]; returns header and claims. */
fun verifyToken(token: String, publicKeyPem: String): DecodedToken =
    translatingErrors { dev.devtoken.ffi.verifyToken(token, publicKeyPem) }

/**
 * Checks a StoreKit promotional offer V1 [signature] (standard base64 DER) over [offer], which
 * carries the nonce and timestamp that were signed, and [keyId] with [publicKeyPem]: true when it
 * verifies, false when it does not; [InvalidClaimsException] when a field is invalid.
 */
fun verifyPromotionalOfferV1(
    offer: PromotionalOfferV1,
    keyId: String,
    signature: String,
    publicKeyPem: String,
): Boolean = translatingErrors { dev.devtoken.ffi.verifyPromotionalOfferV1(offer, keyId, signature, publicKeyPem) }

/** Decodes a token's header and claims without checking the signature. */
fun decodeToken(token: String): DecodedToken = translatingErrors { dev.devtoken.ffi.decodeToken(token) }

/**
 * Lists every reason Apple would reject [token] for [service] (all services' shared rules when
 * null), checking the signature when [publicKeyPem] is given, at [now] or the system clock.
 */
@JvmOverloads
fun inspectToken(
    token: String,
    service: Service? = null,
    publicKeyPem: String? = null,
    now: Long? = null,
): List<Finding> =
    translatingErrors {
        if (now == null) {
            dev.devtoken.ffi.inspectToken(token, service, publicKeyPem)
        } else {
            dev.devtoken.ffi.inspectTokenAt(token, service, publicKeyPem, now)
        }
    }

/** A fresh P-256 private key as PKCS#8 PEM, for local testing. */
fun generatePrivateKeyPem(): String = translatingErrors { dev.devtoken.ffi.generatePrivateKeyPem() }

/**
 * The warnings for a signed [token] of [service] that Apple's pages allow but Apple has refused in
 * the field (the core's `devtoken::field`): what the CLI prints after signing. Empty when there are none.
 */
fun lifetimeWarnings(token: String, service: Service): List<Finding> =
    translatingErrors { dev.devtoken.ffi.lifetimeWarnings(token, service) }

/** The command-line names of every service, in rule-table order. */
fun serviceNames(): List<String> = dev.devtoken.ffi.serviceNames()
