package dev.devtoken

import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * Runs [work] on [threads] threads released together by a barrier and returns every result once
 * all have finished, so whatever is asserted afterwards sees the work done. An exception in any
 * thread fails the caller (a bare [Thread] would only print it). The timeout only stops a
 * deadlocked test from hanging the build; nothing waits on it for ordering.
 */
fun <T> concurrently(threads: Int, work: () -> T): List<T> {
    val barrier = CyclicBarrier(threads)
    val pool = Executors.newFixedThreadPool(threads)
    try {
        val futures = (0 until threads).map { pool.submit<T> { barrier.await(); work() } }
        return futures.map { it.get(5, TimeUnit.MINUTES) }
    } finally {
        pool.shutdownNow()
    }
}
