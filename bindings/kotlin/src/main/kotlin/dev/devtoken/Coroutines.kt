@file:JvmName("DevTokenCoroutines")

package dev.devtoken

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async

// Suspending forms of the calls that may wait: a signature by an HSM or KMS, an exchange or a
// probe with Apple. A fresh cached token comes back at once, on the caller's thread; otherwise
// the blocking call runs on Dispatchers.IO. A cancelled caller stops waiting at once with a
// CancellationException, while the blocking call finishes in the background: the provider
// stays usable and keeps what it obtained.

/** Where blocking calls run: not the caller's job, so cancelling the caller does not stop them. */
private val background = CoroutineScope(SupervisorJob() + Dispatchers.IO)

/** [call] on [Dispatchers.IO]; the wait for it is cancellable, the call itself runs to its end. */
private suspend fun <T> offThread(call: () -> T): T = background.async { call() }.await()

/**
 * [TokenProvider.token] from a coroutine.
 *
 * ```kotlin
 * request.header("authorization", "bearer ${apns.awaitToken()}")
 * ```
 */
suspend fun TokenProvider.awaitToken(): String = freshToken() ?: offThread(::token)

/** [TokenProvider.refreshRejected] from a coroutine. */
suspend fun TokenProvider.awaitRefreshRejected(rejected: String): String = offThread { refreshRejected(rejected) }

/** [TokenProvider.forceRefresh] from a coroutine. */
suspend fun TokenProvider.awaitForceRefresh(): String = offThread(::forceRefresh)

/** [MapsTokenProvider.accessToken] from a coroutine. */
suspend fun MapsTokenProvider.awaitAccessToken(): String = freshAccessToken() ?: offThread(::accessToken)

/** [OAuthTokenProvider.accessToken] from a coroutine. */
suspend fun OAuthTokenProvider.awaitAccessToken(): String = freshAccessToken() ?: offThread(::accessToken)

/** [Signer.signToken] from a coroutine, for signers that wait on an HSM or KMS. */
suspend fun Signer.awaitSignToken(service: Service, claims: Claims, now: Long? = null): String =
    offThread { signToken(service, claims, now) }

/** [probe] from a coroutine. */
suspend fun awaitProbe(service: Service, token: String, network: NetworkOptions = NetworkOptions()): ProbeVerdict =
    offThread { probe(service, token, network) }

/** [measureClockOffset] from a coroutine. */
suspend fun awaitMeasureClockOffset(network: NetworkOptions? = null): ClockOffset =
    offThread { measureClockOffset(network) }

