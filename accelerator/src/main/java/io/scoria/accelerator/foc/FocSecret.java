package io.scoria.accelerator.foc;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The per-cluster shared secret of the FOC: the FOC server and every client of it hold the same
 * one, and each connection proves it with HMAC-SHA256 (see
 * {@link io.scoria.accelerator.foc.protocol.FocProtocol}). Read from a file whose content (ASCII
 * whitespace at both ends trimmed) is the secret: at least {@link #MIN_BYTES} bytes, e.g.
 * {@code head -c 32 /dev/urandom | base64 > foc.secret; chmod 600 foc.secret}.
 *
 * <p>The bytes never leave this object: {@link #toString()} and every error name only the file;
 * {@link #hmac()} hands out a keyed MAC. Immutable and thread-safe.
 */
public final class FocSecret {
    /** Shortest secret accepted (128 bits). */
    public static final int MIN_BYTES = 16;

    private final byte[] key;

    private FocSecret(byte[] key) {
        if (key.length < MIN_BYTES) {
            throw new IllegalArgumentException("FOC secret: must be at least " + MIN_BYTES + " bytes, got "
                    + key.length);
        }
        this.key = key;
    }

    /** A secret of {@code bytes} (copied). */
    public static FocSecret of(byte[] bytes) {
        return new FocSecret(bytes.clone());
    }

    /**
     * Reads the secret from {@code file}.
     *
     * @throws FocException naming the file (never its content) if it cannot be read or is too short
     */
    public static FocSecret readFile(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new FocException("FOC secret file " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
        int from = 0;
        int to = b.length;
        while (from < to && isSpace(b[from])) {
            from++;
        }
        while (to > from && isSpace(b[to - 1])) {
            to--;
        }
        byte[] key = Arrays.copyOfRange(b, from, to);
        Arrays.fill(b, (byte) 0);
        if (key.length < MIN_BYTES) {
            throw new FocException("FOC secret file " + file + " holds " + key.length + " bytes; at least " + MIN_BYTES
                    + " are needed");
        }
        return new FocSecret(key);
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\n' || c == '\r' || c == '\t';
    }

    /** A new HMAC-SHA256 keyed with the secret (not thread-safe; one per use). */
    public Mac hmac() {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    @Override
    public String toString() {
        return "FocSecret[redacted]";
    }
}
