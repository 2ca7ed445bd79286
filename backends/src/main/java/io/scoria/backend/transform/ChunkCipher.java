package io.scoria.backend.transform;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * AES-256-GCM (JDK provider, AES-NI where the CPU has it) of the chunks of one object. The key
 * is the object key ({@link DataKey#objectKey}); the 96-bit nonce of chunk {@code i} is four zero
 * bytes and {@code i} as a big-endian u64, unique within the object, and the object key is new
 * for every put, so no (key, nonce) pair repeats. The additional authenticated data binds a chunk
 * to its place: the 48 fixed header bytes (format, flags, length, chunk count, key id, salt),
 * the chunk number, its index entry, the namespace and the object key name; a chunk moved to
 * another object, another position or another name fails authentication.
 *
 * <p>One instance per object and operation; not thread-safe (it reuses a {@link Cipher} of its
 * own thread). Buffers: arrays are the caller's, used only during a call.
 */
final class ChunkCipher {
    static final int TAG_BYTES = 16;
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks AES/GCM/NoPadding", e);
        }
    });

    private final SecretKeySpec objectKey;
    private final byte[] headerFixed;
    private final byte[] name;

    ChunkCipher(DataKey key, ObjectHeader header, String namespace, String objectName) {
        this.objectKey = key.objectKey(header.salt);
        this.headerFixed = java.util.Arrays.copyOf(header.fixed, ObjectHeader.FIXED_BYTES);
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        byte[] k = objectName.getBytes(StandardCharsets.UTF_8);
        this.name = ByteBuffer.allocate(4 + ns.length + 4 + k.length).putInt(ns.length).put(ns).putInt(k.length).put(k)
                .array();
    }

    /** Seals {@code len} bytes of {@code src} into {@code dst} ({@code len + 16} bytes); returns that length. */
    int seal(int chunk, byte[] entry, byte[] src, int srcOff, int len, byte[] dst, int dstOff) {
        try {
            return crypt(Cipher.ENCRYPT_MODE, chunk, entry, src, srcOff, len, dst, dstOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM sealing failed", e);
        }
    }

    /**
     * Opens a sealed chunk into {@code dst}; returns the plaintext length.
     *
     * @throws AEADBadTagException when the chunk, its header or its place was altered, or the key is another
     */
    int open(int chunk, byte[] entry, byte[] src, int srcOff, int len, byte[] dst, int dstOff) throws AEADBadTagException {
        try {
            return crypt(Cipher.DECRYPT_MODE, chunk, entry, src, srcOff, len, dst, dstOff);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM opening failed", e);
        }
    }

    private int crypt(int mode, int chunk, byte[] entry, byte[] src, int srcOff, int len, byte[] dst, int dstOff)
            throws GeneralSecurityException {
        Cipher c = GCM.get();
        c.init(mode, objectKey, nonce(chunk));
        aad(c, chunk, entry);
        return c.doFinal(src, srcOff, len, dst, dstOff);
    }

    private void aad(Cipher c, int chunk, byte[] entry) {
        c.updateAAD(headerFixed);
        c.updateAAD(ByteBuffer.allocate(4).putInt(chunk).array());
        c.updateAAD(entry);
        c.updateAAD(name);
    }

    private static GCMParameterSpec nonce(int chunk) {
        return new GCMParameterSpec(TAG_BYTES * 8, ByteBuffer.allocate(12).putInt(0).putLong(chunk).array());
    }
}
