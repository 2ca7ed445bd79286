package io.scoria.backend.transform;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A namespace's 256-bit data key and its id (a random 64-bit number written in every object
 * header, so that an object sealed under another key is told apart from a damaged one). Objects
 * are not sealed with the data key itself: each put derives an object key from it and a fresh
 * random 128-bit salt ({@link #objectKey}), so a (key, nonce) pair is never used twice even when
 * chunk nonces restart at 0 in every object. {@link #toString()} never shows the key. Immutable
 * and thread-safe.
 */
public final class DataKey {
    static final int BYTES = 32;
    private static final byte[] OBJECT_KEY_LABEL = "scoria/object-key/v1".getBytes(StandardCharsets.US_ASCII);
    private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    });

    private final long id;
    private final byte[] key;

    DataKey(long id, byte[] key) {
        if (key.length != BYTES) {
            throw new IllegalArgumentException("a data key is 32 bytes, not " + key.length);
        }
        if (id == 0) {
            throw new IllegalArgumentException("data key id 0 is reserved for objects that are not encrypted");
        }
        this.id = id;
        this.key = key.clone();
    }

    /** A new random data key with a random non-zero id. */
    static DataKey generate(SecureRandom random) {
        byte[] k = new byte[BYTES];
        random.nextBytes(k);
        long id = 0;
        while (id == 0) {
            id = random.nextLong();
        }
        return new DataKey(id, k);
    }

    long id() {
        return id;
    }

    /** A copy of the key bytes, for wrapping. */
    byte[] bytes() {
        return key.clone();
    }

    /** The AES-256 key of one object: HMAC-SHA256(data key, "scoria/object-key/v1" || salt). */
    SecretKeySpec objectKey(byte[] salt) {
        return derive(OBJECT_KEY_LABEL, salt);
    }

    /**
     * An AES-256 key for another use of this key's data than backend objects: HMAC-SHA256(data
     * key, {@code label} || {@code context}), an HKDF expansion of one block whose pseudo-random key
     * is the (uniformly random) data key. Distinct labels give independent keys.
     */
    SecretKeySpec derive(byte[] label, byte[] context) {
        Mac mac = HMAC.get();
        try {
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot key HmacSHA256", e);
        }
        mac.update(label);
        byte[] derived = mac.doFinal(context);
        SecretKeySpec spec = new SecretKeySpec(derived, "AES");
        Arrays.fill(derived, (byte) 0);
        return spec;
    }

    @Override
    public String toString() {
        return "DataKey[id=" + Long.toHexString(id) + ", key=***]";
    }
}
