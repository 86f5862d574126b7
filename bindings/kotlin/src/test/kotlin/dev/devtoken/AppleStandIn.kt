package dev.devtoken

import com.nimbusds.jose.JWSAlgorithm
import com.nimbusds.jose.JWSObject
import com.nimbusds.jose.crypto.ECDSAVerifier
import com.nimbusds.jose.util.JSONObjectUtils
import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URLDecoder
import java.security.KeyFactory
import java.security.interfaces.ECPublicKey
import java.security.spec.X509EncodedKeySpec
import java.time.ZoneOffset
import java.time.ZonedDateTime
import java.time.format.DateTimeFormatter
import java.util.Base64
import java.util.Locale
import java.util.UUID
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Semaphore
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger

/**
 * A loopback stand-in for Apple's endpoints, independent of devtoken (signatures are checked with
 * Nimbus JOSE+JWT): Maps `GET /v1/token`, the `GET /v1/test` endpoints, and the OAuth token
 * endpoint `POST /auth/oauth2/token` of Apple School Manager, Apple Business Manager and Apple Ads,
 * which checks the form fields and the client assertion as Apple documents them and answers
 * `{"access_token":"oauth-N","token_type":"Bearer","expires_in":3600}` (N: the request's number)
 * or 400 `invalid_request` / `invalid_client` with the reason. Any other path answers 200 to an
 * access token it issued or a valid signed token, 401 to a token marked [rejected]. Scripted
 * answers are served first; requests are counted (per path too) and OAuth forms recorded.
 */
class AppleStandIn(publicKeyPem: String) : AutoCloseable {
    data class Answer(val status: Int, val body: String, val headers: Map<String, String> = emptyMap())

    private val verifier =
        ECDSAVerifier(
            KeyFactory.getInstance("EC").generatePublic(
                X509EncodedKeySpec(
                    Base64.getMimeDecoder().decode(
                        publicKeyPem.lines().filterNot { it.startsWith("-----") }.joinToString(""),
                    ),
                ),
            ) as ECPublicKey,
        )
    val script = ConcurrentLinkedQueue<Answer>()
    val requests = AtomicInteger()

    /** The form of every request to the OAuth token endpoint, in arrival order. */
    val forms = ConcurrentLinkedQueue<Map<String, String>>()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)

    init {
        server.createContext("/") { exchange ->
            val number = requests.incrementAndGet()
            val oauth = exchange.requestURI.path == OAUTH_TOKEN_PATH
            val form = if (oauth) readForm(exchange) else null
            form?.getOrNull()?.let { forms.add(it) }
            val path = exchange.requestURI.path
            perPath.computeIfAbsent(path) { AtomicInteger() }.incrementAndGet()
            val answer =
                script.poll() ?: when {
                    oauth -> oauthAnswer(exchange, form!!, number)
                    else -> bearerAnswer(path, exchange.requestHeaders.getFirst("Authorization"), number)
                }
            val bytes = answer.body.toByteArray()
            answer.headers.forEach { (name, value) -> exchange.responseHeaders.add(name, value) }
            exchange.responseHeaders.add("Content-Type", "application/json")
            exchange.sendResponseHeaders(answer.status, bytes.size.toLong())
            exchange.responseBody.use { it.write(bytes) }
        }
        // A thread per request: held requests ([exchangeGate], [refusalGate]) must not starve the rest.
        server.executor = Executors.newCachedThreadPool()
        server.start()
    }

    val baseUrl: String = "http://127.0.0.1:${server.address.port}"

    /** Requests per path. */
    val perPath = ConcurrentHashMap<String, AtomicInteger>()

    fun requestsTo(path: String): Int = perPath[path]?.get() ?: 0

    /** Bearer tokens that API paths answer 401 to; with [rejectAll], every token. */
    val rejected: MutableSet<String> = ConcurrentHashMap.newKeySet()

    @Volatile var rejectAll = false

    /** When set, each `/v1/token` exchange releases one [exchangesWaiting] permit and answers once this opens. */
    @Volatile var exchangeGate: CountDownLatch? = null
    val exchangesWaiting = Semaphore(0)

    /** When set, each 401 of an API path counts it down and is answered only once it reaches zero. */
    @Volatile var refusalGate: CountDownLatch? = null

    /** The access tokens this stand-in issued, which API paths accept. */
    private val issued: MutableSet<String> = ConcurrentHashMap.newKeySet()

    /**
     * `/v1/token` exchanges a valid signed token; any other path answers 401 to a token in
     * [rejected] (or any, with [rejectAll]), 200 to a token it issued or a valid signed token.
     */
    private fun bearerAnswer(path: String, authorization: String?, number: Int): Answer {
        val token = authorization?.removePrefix("Bearer ") ?: ""
        val valid = runCatching { JWSObject.parse(token).verify(verifier) }.getOrDefault(false)
        val refused = Answer(401, """{"error":{"message":"Not Authorized","details":["bad signature"]}}""")
        return when {
            path == "/v1/token" && valid -> {
                exchangeGate?.let {
                    exchangesWaiting.release()
                    it.await()
                }
                issued.add("access-$number")
                Answer(200, """{"accessToken":"access-$number","expiresInSeconds":1800}""")
            }
            path == "/v1/token" -> refused
            rejectAll || token in rejected ->
                refused.also {
                    refusalGate?.let {
                        it.countDown()
                        it.await()
                    }
                }
            valid || token in issued -> Answer(200, """{"data":[]}""")
            else -> refused
        }
    }

    override fun close() = server.stop(0)

    /** What a client of each id prefix must send, as Apple's OAuth pages document it. */
    private data class OAuthClient(
        val scope: String,
        val assertionField: String,
        val audience: String,
        val clientIdIsIssuer: Boolean,
    )

    /** The body as form fields, or the reason it is not a form (each field once, URL-encoded). */
    private fun readForm(exchange: HttpExchange): Result<Map<String, String>> =
        runCatching {
            val contentType = exchange.requestHeaders.getFirst("Content-Type") ?: ""
            require(contentType.startsWith("application/x-www-form-urlencoded")) { "Content-Type is '$contentType'" }
            val body = exchange.requestBody.use { String(it.readAllBytes(), Charsets.UTF_8) }
            val form = linkedMapOf<String, String>()
            for (pair in body.split('&').filter { it.isNotEmpty() }) {
                val parts = pair.split('=', limit = 2)
                val name = URLDecoder.decode(parts[0], Charsets.UTF_8)
                require(parts.size == 2) { "field $name has no value" }
                require(form.put(name, URLDecoder.decode(parts[1], Charsets.UTF_8)) == null) {
                    "field $name given twice"
                }
            }
            form
        }

    private fun oauthAnswer(exchange: HttpExchange, form: Result<Map<String, String>>, number: Int): Answer {
        fun error(code: String, description: String) =
            Answer(400, JSONObjectUtils.toJSONString(mapOf("error" to code, "error_description" to description)))
        if (exchange.requestMethod != "POST") return error("invalid_request", "method ${exchange.requestMethod}")
        val fields = form.getOrElse { return error("invalid_request", it.message ?: "not a form") }
        if (fields["grant_type"] != "client_credentials") {
            return error("unsupported_grant_type", "grant_type ${fields["grant_type"]}")
        }
        val clientId = fields["client_id"] ?: return error("invalid_request", "no client_id")
        val match = CLIENT_ID.matchEntire(clientId) ?: return error("invalid_client", "client_id $clientId")
        val client = CLIENTS.getValue(match.groupValues[1])
        val expected =
            when (client.assertionField) {
                "client_assertion" ->
                    setOf("grant_type", "client_id", "client_assertion_type", "client_assertion", "scope")
                else -> setOf("grant_type", "client_id", "client_secret", "scope")
            }
        if (fields.keys != expected) return error("invalid_request", "fields ${fields.keys}, expected $expected")
        if (fields["scope"] != client.scope) return error("invalid_scope", "scope ${fields["scope"]}")
        if (client.assertionField == "client_assertion" && fields["client_assertion_type"] != JWT_BEARER) {
            return error("invalid_request", "client_assertion_type ${fields["client_assertion_type"]}")
        }
        val problem = assertionProblem(fields.getValue(client.assertionField), clientId, client)
        if (problem != null) return error("invalid_client", problem)
        issued.add("oauth-$number")
        return Answer(200, """{"access_token":"oauth-$number","token_type":"Bearer","expires_in":3600}""")
    }

    /** Null when Apple would accept the assertion for [clientId], else why not. */
    private fun assertionProblem(assertion: String, clientId: String, client: OAuthClient): String? {
        val jws = runCatching { JWSObject.parse(assertion) }.getOrElse { return "not a JWS" }
        if (!runCatching { jws.verify(verifier) }.getOrDefault(false)) return "the signature does not verify"
        if (jws.header.algorithm != JWSAlgorithm.ES256) return "alg ${jws.header.algorithm}"
        val kid = jws.header.keyID ?: return "no kid"
        if (runCatching { UUID.fromString(kid).toString() }.getOrNull() != kid.lowercase()) {
            return "kid $kid is not a UUID"
        }
        val claims = jws.payload.toJSONObject()
        if (claims["aud"] != client.audience) return "aud ${claims["aud"]}"
        if (claims["sub"] != clientId) return "sub ${claims["sub"]}"
        val issuer = claims["iss"] as? String ?: return "no iss"
        if (client.clientIdIsIssuer) {
            if (issuer != clientId) return "iss $issuer is not the client id"
            if ((claims["jti"] as? String).isNullOrEmpty()) return "no jti"
        } else {
            if (CLIENT_ID.matchEntire(issuer)?.groupValues?.get(1) != "SEARCHADS") {
                return "iss $issuer is not a SEARCHADS team id"
            }
            if ("jti" in claims) return "unexpected jti"
        }
        val iat = (claims["iat"] as? Number)?.toLong() ?: return "no iat"
        val exp = (claims["exp"] as? Number)?.toLong() ?: return "no exp"
        if (exp <= iat || exp - iat > 180 * 86_400L) return "lifetime ${exp - iat} s"
        return null
    }

    companion object {
        const val OAUTH_TOKEN_PATH = "/auth/oauth2/token"
        const val JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        private val CLIENT_ID =
            Regex("(SCHOOLAPI|BUSINESSAPI|SEARCHADS)\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        private const val CLIENT_ASSERTION_AUDIENCE = "https://account.apple.com/auth/oauth2/v2/token"

        private val CLIENTS =
            mapOf(
                "SCHOOLAPI" to OAuthClient("school.api", "client_assertion", CLIENT_ASSERTION_AUDIENCE, true),
                "BUSINESSAPI" to OAuthClient("business.api", "client_assertion", CLIENT_ASSERTION_AUDIENCE, true),
                "SEARCHADS" to OAuthClient("searchadsorg", "client_secret", "https://appleid.apple.com", false),
            )
    }
}

/**
 * A loopback server whose `Date` header is [clockBehindSecs] behind the real time, for the clock
 * offset tests. Not part of [AppleStandIn]: com.sun.net.httpserver always replaces a handler's
 * `Date` with the current time (`ExchangeImpl.sendResponseHeaders` sets it), so this one writes
 * its HTTP/1.1 answers itself: `/v1/token` gives a Maps access token, any other path `{"keys":[]}`,
 * one answer per connection.
 */
class SkewedClockStandIn(private val clockBehindSecs: Long) : AutoCloseable {
    private val socket = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    val baseUrl = "http://127.0.0.1:${socket.localPort}"

    /** Requests answered. */
    val requests = AtomicInteger()

    init {
        Thread {
            while (!socket.isClosed) {
                runCatching { socket.accept() }.getOrNull()?.use(::answer)
            }
        }.apply { isDaemon = true }.start()
    }

    private fun answer(connection: Socket) {
        val head = connection.getInputStream().bufferedReader(Charsets.ISO_8859_1)
        val path = head.readLine()?.split(' ')?.getOrNull(1) ?: return
        while (!head.readLine().isNullOrEmpty()) continue
        requests.incrementAndGet()
        val body =
            if (path.startsWith("/v1/token")) {
                """{"accessToken":"access-skewed","expiresInSeconds":1800}"""
            } else {
                """{"keys":[]}"""
            }
        val date = HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC).minusSeconds(clockBehindSecs))
        val response =
            "HTTP/1.1 200 OK\r\nDate: $date\r\nContent-Type: application/json\r\n" +
                "Content-Length: ${body.length}\r\nConnection: close\r\n\r\n$body"
        connection.getOutputStream().apply {
            write(response.toByteArray(Charsets.ISO_8859_1))
            flush()
        }
    }

    override fun close() = socket.close()

    private companion object {
        val HTTP_DATE: DateTimeFormatter = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
    }
}
