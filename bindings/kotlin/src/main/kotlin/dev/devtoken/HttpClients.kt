package dev.devtoken

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asExecutor
import kotlinx.coroutines.future.await
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.CompletableFuture

/** Where [DevTokenHttpClient] gets its bearer token; [of] adapts each devtoken provider. */
interface BearerSource {
    /** The token to send now; may block on a signature or an exchange. */
    fun token(): String

    /** The cached token while it is fresh, else null; never blocks. */
    fun freshToken(): String?

    /** After a 401 for [rejected]: the token to retry with (one renewal however many callers report it). */
    fun replaceRejected(rejected: String): String

    companion object {
        /** [TokenProvider.token]; a refused token is replaced by [TokenProvider.refreshRejected]. */
        @JvmStatic
        fun of(provider: TokenProvider): BearerSource =
            source(provider::token, provider::freshToken, provider::refreshRejected)

        /** [MapsTokenProvider.accessToken]; a refused one is invalidated, then exchanged again. */
        @JvmStatic
        fun of(provider: MapsTokenProvider): BearerSource =
            source(provider::accessToken, provider::freshAccessToken) {
                provider.invalidate(it)
                provider.accessToken()
            }

        /** [OAuthTokenProvider.accessToken]; a refused one is invalidated, then exchanged again. */
        @JvmStatic
        fun of(provider: OAuthTokenProvider): BearerSource =
            source(provider::accessToken, provider::freshAccessToken) {
                provider.invalidate(it)
                provider.accessToken()
            }

        private fun source(token: () -> String, fresh: () -> String?, replace: (String) -> String) =
            object : BearerSource {
                override fun token() = token()

                override fun freshToken() = fresh()

                override fun replaceRejected(rejected: String) = replace(rejected)
            }
    }
}

/**
 * A [HttpClient] that sends `Authorization: Bearer <token>` from [auth] with every request and,
 * when the answer is 401, replaces exactly the refused token and retries once; a second 401 is
 * returned as it is. The request's own `Authorization` header, if any, is replaced.
 *
 * ```kotlin
 * val http = DevTokenHttpClient(HttpClient.newHttpClient(), BearerSource.of(maps))
 * val response = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
 * ```
 */
class DevTokenHttpClient(private val client: HttpClient, private val auth: BearerSource) {
    /** Sends [request] with the bearer token, blocking; one retry with a new token after a 401. */
    fun <T> send(request: HttpRequest, bodyHandler: HttpResponse.BodyHandler<T>): HttpResponse<T> {
        val token = auth.token()
        val response = client.send(authorized(request, token), bodyHandler)
        if (response.statusCode() != UNAUTHORIZED) return response
        return client.send(authorized(request, auth.replaceRejected(token)), bodyHandler)
    }

    /**
     * [send] without blocking the caller: a fresh cached token is used at once, otherwise the
     * token (and after a 401 its replacement) is obtained on [Dispatchers.IO].
     */
    fun <T> sendAsync(
        request: HttpRequest,
        bodyHandler: HttpResponse.BodyHandler<T>,
    ): CompletableFuture<HttpResponse<T>> {
        val fresh = auth.freshToken()
        val token = if (fresh != null) CompletableFuture.completedFuture(fresh) else blocking(auth::token)
        return token.thenCompose { sent ->
            client.sendAsync(authorized(request, sent), bodyHandler).thenCompose { response ->
                if (response.statusCode() != UNAUTHORIZED) {
                    CompletableFuture.completedFuture(response)
                } else {
                    blocking { auth.replaceRejected(sent) }
                        .thenCompose { client.sendAsync(authorized(request, it), bodyHandler) }
                }
            }
        }
    }

    /** [sendAsync] from a coroutine; cancelling the caller leaves [auth] usable. */
    suspend fun <T> awaitSend(request: HttpRequest, bodyHandler: HttpResponse.BodyHandler<T>): HttpResponse<T> =
        sendAsync(request, bodyHandler).await()

    private fun <T> blocking(call: () -> T): CompletableFuture<T> =
        CompletableFuture.supplyAsync(call, Dispatchers.IO.asExecutor())

    private companion object {
        const val UNAUTHORIZED = 401

        /** [request] with `Authorization: Bearer [token]` instead of any header of that name. */
        fun authorized(request: HttpRequest, token: String): HttpRequest {
            val builder =
                HttpRequest.newBuilder(request.uri())
                    .method(request.method(), request.bodyPublisher().orElse(HttpRequest.BodyPublishers.noBody()))
                    .expectContinue(request.expectContinue())
            request.timeout().ifPresent(builder::timeout)
            request.version().ifPresent(builder::version)
            request.headers().map().forEach { (name, values) ->
                if (!name.equals("Authorization", ignoreCase = true)) values.forEach { builder.header(name, it) }
            }
            return builder.header("Authorization", "Bearer $token").build()
        }
    }
}
