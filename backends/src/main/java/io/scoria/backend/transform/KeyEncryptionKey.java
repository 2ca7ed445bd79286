package io.scoria.backend.transform;

import io.scoria.backend.config.Secret;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The key-encryption key (KEK) that wraps every data key of a key ring, read from a config
 * {@link Secret} (inline, {@code {file: PATH}} or {@code {env: NAME}}) holding 32 bytes as base64
 * or as 64 hex digits; make one with {@code head -c 32 /dev/urandom | base64}. Its id is the first
 * 8 bytes of SHA-256("scoria/kek-id/v1" || key) in hex: stored beside each wrapped key so that
 * rotation knows which key wrapped what; it reveals nothing usable about the key.
 *
 * <p>Wrapping is AES-256-GCM with a random 96-bit nonce and the namespace and data key id as
 * additional data, so a wrapped key copied to another volume's record does not unwrap.
 * {@link #toString()} never shows the key. Immutable and thread-safe.
 */
public final class KeyEncryptionKey {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE_BYTES = 12;

    private final SecretKeySpec key;
    private final String id;

    private KeyEncryptionKey(byte[] bytes) {
        this.key = new SecretKeySpec(bytes, "AES");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("scoria/kek-id/v1".getBytes(StandardCharsets.US_ASCII));
            this.id = HexFormat.of().formatHex(Arrays.copyOf(sha.digest(bytes), 8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /**
     * Reads a KEK from {@code secret}.
     *
     * @throws IllegalArgumentException naming {@code what} (the config key), never the value, when
     *                                  it is not 32 bytes of base64 or hex
     */
    public static KeyEncryptionKey of(Secret secret, String what) {
        String text = secret.reveal().trim();
        byte[] bytes = null;
        if (text.length() == 64 && text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            bytes = HexFormat.of().parseHex(text);
        } else {
            try {
                bytes = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                bytes = null;
            }
        }
        if (bytes == null || bytes.length != DataKey.BYTES) {
            throw new IllegalArgumentException(what + ": a key-encryption key must be 32 bytes written as base64 (44 "
                    + "characters) or 64 hex digits; make one with: head -c 32 /dev/urandom | base64");
        }
        return new KeyEncryptionKey(bytes);
    }

    /** A random KEK (tests and first-time setup). */
    public static KeyEncryptionKey random() {
        byte[] b = new byte[DataKey.BYTES];
        RANDOM.nextBytes(b);
        return new KeyEncryptionKey(b);
    }

    /** The KEK's id: 16 hex digits derived from it by a one-way hash. */
    public String id() {
        return id;
    }

    /** nonce || AES-GCM(data key) with the namespace and key id authenticated. */
    byte[] wrap(DataKey dataKey, String namespace) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(namespace, dataKey.id()));
            byte[] sealed = c.doFinal(dataKey.bytes());
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("wrapping a data key failed", e);
        }
    }

    /** The data key in {@code wrapped}, or empty when this KEK did not wrap it (or it was altered). */
    Optional<DataKey> unwrap(byte[] wrapped, String namespace, long dataKeyId) {
        if (wrapped.length != NONCE_BYTES + DataKey.BYTES + 16) {
            return Optional.empty();
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, wrapped, 0, NONCE_BYTES));
            c.updateAAD(aad(namespace, dataKeyId));
            byte[] plain = c.doFinal(wrapped, NONCE_BYTES, wrapped.length - NONCE_BYTES);
            DataKey k = new DataKey(dataKeyId, plain);
            Arrays.fill(plain, (byte) 0);
            return Optional.of(k);
        } catch (AEADBadTagException e) {
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("unwrapping a data key failed", e);
        }
    }

    private static byte[] aad(String namespace, long dataKeyId) {
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(18 + 4 + ns.length + 8).put("scoria/data-key/v1".getBytes(StandardCharsets.US_ASCII))
                .putInt(ns.length).put(ns).putLong(dataKeyId).array();
    }

    @Override
    public String toString() {
        return "KeyEncryptionKey[id=" + id + ", key=***]";
    }
}
