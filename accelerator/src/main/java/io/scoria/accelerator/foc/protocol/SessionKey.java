package io.scoria.accelerator.foc.protocol;

import io.scoria.accelerator.foc.FocSecret;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * The key of one authenticated FOC connection:
 * {@code HMAC-SHA256(secret, "scoria-foc-2 session" | clientNonce | serverNonce)}. Both nonces are
 * fresh random 16 bytes per connection, so a frame recorded on one connection fails on any other.
 * The server proves it holds the secret with {@link #serverProof()} in its WELCOME; every later
 * frame in either direction carries {@code HMAC-SHA256(key, direction | u64 sequence | frame)}
 * ({@link FrameGuard}).
 *
 * <p>Immutable; {@link #newMac()} returns a new MAC per caller. The key bytes never leave it.
 */
public final class SessionKey {
    public static final int NONCE_BYTES = 16;
    public static final int MAC_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    private SessionKey(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    public static byte[] newNonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    public static SessionKey derive(FocSecret secret, byte[] clientNonce, byte[] serverNonce) {
        Mac m = secret.hmac();
        m.update("scoria-foc-2 session".getBytes(StandardCharsets.US_ASCII));
        m.update(clientNonce);
        m.update(serverNonce);
        return new SessionKey(m.doFinal());
    }

    /** A new HMAC-SHA256 keyed with the session key. */
    public Mac newMac() {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** What the server sends in its WELCOME to prove it holds the secret. */
    public byte[] serverProof() {
        return newMac().doFinal("scoria-foc-2 server proof".getBytes(StandardCharsets.US_ASCII));
    }

    /** Constant-time comparison of a received proof. */
    public boolean verifyServerProof(byte[] proof) {
        return MessageDigest.isEqual(serverProof(), proof);
    }
}
