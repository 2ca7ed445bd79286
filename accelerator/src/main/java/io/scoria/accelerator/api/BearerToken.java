package io.scoria.accelerator.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A secret bearer token of the management API: {@code scoria_} and 256 random bits in
 * URL-safe base64. {@link #toString()} never shows it; only {@link #value()} does, for the one
 * place that must send or show it. Immutable.
 */
public final class BearerToken {
    private static final String PREFIX = "scoria_";
    private static final int RANDOM_BYTES = 32;

    private final String value;

    private BearerToken(String value) {
        this.value = value;
    }

    /** A new token from {@code random}. */
    public static BearerToken generate(SecureRandom random) {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return new BearerToken(PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    /** A token as a client presents it or a token file holds it (surrounding white space removed). */
    public static BearerToken of(String value) {
        if (!wellFormed(value)) {
            throw new IllegalArgumentException("a bearer token is one word of printable ASCII");
        }
        return new BearerToken(value.strip());
    }

    /** Whether {@code value} (surrounding white space aside) is one word of printable ASCII. */
    public static boolean wellFormed(String value) {
        String v = value == null ? "" : value.strip();
        return !v.isEmpty() && v.chars().allMatch(c -> c > ' ' && c < 0x7f);
    }

    /** The secret itself. */
    public String value() {
        return value;
    }

    /** SHA-256 of the token: what is kept at rest (the token has 256 random bits, so no salt or stretching is needed). */
    public byte[] sha256() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "BearerToken[redacted]";
    }
}
