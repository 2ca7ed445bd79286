package io.scoria.backend.config;

import java.util.Objects;

/**
 * A credential (S3 access and secret keys, Swift key or password, later CHAP secrets and API
 * tokens) held so that it cannot be printed by accident: {@link #toString()} is {@code ***},
 * so records that hold one keep a safe default {@code toString}. Only {@link #reveal()} gives
 * the value, to the one call that hands it to a client library.
 *
 * <p>In a config file a secret is written inline, or read from a file or an environment
 * variable (see {@link ConfigReader}):
 * <pre>
 * secretKey: inline-value
 * secretKey: {file: /etc/scoria/s3.secret}   # relative paths: from the config file's directory
 * secretKey: {env: SCORIA_S3_SECRET}
 * </pre>
 * Immutable and thread-safe.
 */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    /** Wraps {@code value}; it must not be empty. */
    public static Secret of(String value) {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty()) {
            throw new ConfigException("a secret must not be empty");
        }
        return new Secret(value);
    }

    /** Wraps {@code value}, or returns null for a null value. */
    public static Secret ofNullable(String value) {
        return value == null ? null : of(value);
    }

    /** The secret itself: hand it to the client that needs it, never to a log or a message. */
    public String reveal() {
        return value;
    }

    /** {@code secret.reveal()}, or null for a null secret. */
    public static String reveal(Secret secret) {
        return secret == null ? null : secret.value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** Always {@code ***}. */
    @Override
    public String toString() {
        return "***";
    }
}
