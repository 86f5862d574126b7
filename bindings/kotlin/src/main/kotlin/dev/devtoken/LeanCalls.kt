package dev.devtoken

import com.sun.jna.Native
import dev.devtoken.ffi.Claims
import dev.devtoken.ffi.FfiConverterOptionalLong
import dev.devtoken.ffi.FfiConverterTypeClaims
import dev.devtoken.ffi.FfiConverterTypeService
import dev.devtoken.ffi.Service
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The hot calls through JNA's direct mapping with only integers and byte arrays: no JNA
 * `Structure`, no native memory for JNA to track.
 *
 * A generated uniffi call allocates several JNA `Structure`s, each backed by native memory that
 * JNA registers in a global map and frees from a cleaner thread; on JDK 17 that costs more than
 * the signature. These entry points (`bindings/uniffi/src/lean.rs`) skip all of it. They only
 * accelerate: any outcome but success returns [FALL_BACK], and the caller then makes the
 * ordinary uniffi call, which raises the typed error. Arguments are encoded with the generated
 * converters, so both sides agree on the format by construction.
 */
internal object LeanCalls {
    /** What a lean entry point returns when the caller must make the ordinary uniffi call. */
    const val FALL_BACK = -1

    /**
     * Room for any token short of very long `origin` or `scope` lists (Apple's are a few hundred
     * bytes); longer ones take the uniffi path. A provider that signs per call signs such a token
     * twice, once for the declined lean call.
     */
    private const val TOKEN_CAPACITY = 4096

    /**
     * Each thread's buffer for the answer, reused: allocating 4 KiB per call made a cached
     * `TokenProvider.token()` several times slower (the README's performance section has the
     * figures). JNA copies a byte[] into native memory and back around the call; a direct
     * ByteBuffer, passed by address, measured no faster, so the simpler array stays.
     */
    private val tokenBuffer = ThreadLocal.withInitial { ByteArray(TOKEN_CAPACITY) }

    init {
        // The same library, resolved the same way, as the generated UniffiLib.
        Native.register(
            LeanCalls::class.java,
            System.getProperty("uniffi.component.devtoken.libraryOverride") ?: "devtoken",
        )
    }

    external fun devtoken_lean_sign_token(
        signerId: Long,
        request: ByteArray,
        requestLen: Int,
        out: ByteArray,
        outCapacity: Int,
    ): Int

    external fun devtoken_lean_provider_token(providerId: Long, out: ByteArray, outCapacity: Int): Int

    external fun devtoken_lean_maps_access_token(providerId: Long, out: ByteArray, outCapacity: Int): Int

    /** The token signed by signer [signerId], or null when the uniffi call must be made. */
    fun signToken(signerId: Long, service: Service, claims: Claims, now: Long?): String? {
        val size =
            FfiConverterTypeService.allocationSize(service) +
                FfiConverterTypeClaims.allocationSize(claims) +
                FfiConverterOptionalLong.allocationSize(now)
        if (size > Int.MAX_VALUE.toULong()) return null
        val request = ByteBuffer.allocate(size.toInt()).order(ByteOrder.BIG_ENDIAN)
        FfiConverterTypeService.write(service, request)
        FfiConverterTypeClaims.write(claims, request)
        FfiConverterOptionalLong.write(now, request)
        // allocationSize is an upper bound (three bytes per UTF-16 unit): send what was written.
        val out = tokenBuffer.get()
        return tokenOrNull(out, devtoken_lean_sign_token(signerId, request.array(), request.position(), out, out.size))
    }

    /** The current token of provider [providerId], or null when the uniffi call must be made. */
    fun providerToken(providerId: Long): String? {
        val out = tokenBuffer.get()
        return tokenOrNull(out, devtoken_lean_provider_token(providerId, out, out.size))
    }

    /** Maps provider [providerId]'s access token while fresh, or null when an exchange is due. */
    fun freshMapsAccessToken(providerId: Long): String? {
        val out = tokenBuffer.get()
        return tokenOrNull(out, devtoken_lean_maps_access_token(providerId, out, out.size))
    }

    /** The answer's text (UTF-8, as uniffi decodes strings), or null for [FALL_BACK]. */
    private fun tokenOrNull(out: ByteArray, length: Int): String? =
        if (length == FALL_BACK) null else String(out, 0, length, Charsets.UTF_8)
}
