package io.scoria.accelerator.foc.wiring;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Keeps the replay spool of an encrypted volume unreadable on disk: AES-256-CTR under a random key made
 * for one replay and held only in memory, the counter block of entry {@code i} being {@code u64 i || u64 0}
 * (each entry under its own counter range, so no block is used twice). A crash during the replay leaves a
 * spool nobody can read, which is fine: the next open replays from the FOC again. Confidentiality only (the
 * spool lives for one replay on the owner's own disk).
 *
 * <p>Not thread-safe: one replay. Buffers: reads {@code src} from its position to its limit and writes as
 * many bytes at {@code dst}'s position, advancing both.
 */
final class SpoolCipher {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final Cipher ctr;
    private final byte[] iv = new byte[16];

    SpoolCipher() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        key = new SecretKeySpec(k, "AES");
        java.util.Arrays.fill(k, (byte) 0);
        try {
            ctr = Cipher.getInstance("AES/CTR/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks AES/CTR/NoPadding", e);
        }
    }

    /** Encrypts or decrypts (the same in counter mode) entry {@code index}. */
    void apply(long index, ByteBuffer src, ByteBuffer dst) {
        ByteBuffer.wrap(iv).putLong(0, index).putLong(8, 0);
        try {
            ctr.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
            ctr.doFinal(src, dst);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-CTR of the replay spool failed", e);
        }
    }
}
