package io.scoria.backend.transform;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Compresses and decompresses one chunk with lz4 (lz4-java, its fastest available
 * implementation) or zstd (zstd-jni). Stateless apart from the shared, thread-safe lz4
 * instances; every method may be called from any thread. Buffers: arrays are the caller's, read
 * or written only within the given ranges during the call.
 */
final class ChunkCompressor {
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final LZ4Compressor LZ4_COMPRESSOR = LZ4.fastCompressor();
    private static final LZ4SafeDecompressor LZ4_DECOMPRESSOR = LZ4.safeDecompressor();

    private ChunkCompressor() {
    }

    /** Largest output of {@link #compress} for {@code length} input bytes. */
    static int maxCompressedLength(Compression c, int length) {
        return switch (c) {
            case NONE -> length;
            case LZ4 -> LZ4_COMPRESSOR.maxCompressedLength(length);
            case ZSTD -> (int) Zstd.compressBound(length);
        };
    }

    /**
     * Compresses {@code src[srcOff, srcOff+len)} into {@code dst} at {@code dstOff} (room for
     * {@link #maxCompressedLength}); returns the compressed length.
     */
    static int compress(Compression c, int zstdLevel, byte[] src, int srcOff, int len, byte[] dst, int dstOff) {
        return switch (c) {
            case NONE -> {
                System.arraycopy(src, srcOff, dst, dstOff, len);
                yield len;
            }
            case LZ4 -> LZ4_COMPRESSOR.compress(src, srcOff, len, dst, dstOff, dst.length - dstOff);
            case ZSTD -> {
                long n = Zstd.compressByteArray(dst, dstOff, dst.length - dstOff, src, srcOff, len, zstdLevel);
                if (Zstd.isError(n)) {
                    throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
                }
                yield (int) n;
            }
        };
    }

    /**
     * Decompresses {@code src[srcOff, srcOff+srcLen)} into exactly {@code plainLen} bytes of
     * {@code dst} at {@code dstOff}; returns false when the input is not a valid compressed
     * chunk of that length (the caller reports it as corrupt).
     */
    static boolean decompress(Compression c, byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int plainLen) {
        switch (c) {
            case NONE -> {
                if (srcLen != plainLen) {
                    return false;
                }
                System.arraycopy(src, srcOff, dst, dstOff, plainLen);
                return true;
            }
            case LZ4 -> {
                try {
                    return LZ4_DECOMPRESSOR.decompress(src, srcOff, srcLen, dst, dstOff, plainLen) == plainLen;
                } catch (LZ4Exception e) {
                    return false;
                }
            }
            case ZSTD -> {
                try {
                    long n = Zstd.decompressByteArray(dst, dstOff, plainLen, src, srcOff, srcLen);
                    return !Zstd.isError(n) && n == plainLen;
                } catch (ZstdException e) {
                    return false;
                }
            }
            default -> throw new IllegalStateException("unknown compression " + c);
        }
    }
}
