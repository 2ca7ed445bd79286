package io.scoria.backend.transform;

import java.util.Locale;
import java.util.Objects;

/**
 * What a namespace's objects go through on their way to the backend: a compression
 * ({@code none}, {@code lz4} or {@code zstd} with a level) and an encryption ({@code none} or
 * {@code aes-256-gcm}). Written as text like {@code zstd:3+aes-256-gcm}, {@code lz4},
 * {@code none+aes-256-gcm} or {@code none}; {@link #parse} reads what {@link #toString} writes.
 * Immutable.
 *
 * @param compression    chunk compression
 * @param zstdLevel      zstd level 1 to 22 (0 unless the compression is zstd)
 * @param encrypted      whether chunks are sealed with AES-256-GCM under the namespace's data key
 */
public record TransformPolicy(Compression compression, int zstdLevel, boolean encrypted) {
    /** Objects are stored as written (the format from before transforms). */
    public static final TransformPolicy NONE = new TransformPolicy(Compression.NONE, 0, false);
    /** The encryption's name in policies. */
    public static final String AES_256_GCM = "aes-256-gcm";
    static final int DEFAULT_ZSTD_LEVEL = 3;

    public TransformPolicy {
        Objects.requireNonNull(compression, "compression");
        if (compression == Compression.ZSTD && (zstdLevel < 1 || zstdLevel > 22)) {
            throw new IllegalArgumentException("zstd level must be 1 to 22: " + zstdLevel);
        }
        if (compression != Compression.ZSTD && zstdLevel != 0) {
            throw new IllegalArgumentException("a level is only valid with zstd, not with " + compression.label());
        }
    }

    /** True when objects are stored as written, without a header. */
    public boolean isNone() {
        return compression == Compression.NONE && !encrypted;
    }

    /** Parses a compression ({@code none | lz4 | zstd[:level]}) and an encryption ({@code none | aes-256-gcm}). */
    public static TransformPolicy of(String compression, String encryption) {
        String c = compression == null ? "none" : compression.trim().toLowerCase(Locale.ROOT);
        String e = encryption == null ? "none" : encryption.trim().toLowerCase(Locale.ROOT);
        boolean encrypted = switch (e) {
            case "none" -> false;
            case AES_256_GCM -> true;
            default -> throw new IllegalArgumentException("encryption must be none or aes-256-gcm: '" + encryption + "'");
        };
        if (c.equals("none")) {
            return new TransformPolicy(Compression.NONE, 0, encrypted);
        }
        if (c.equals("lz4")) {
            return new TransformPolicy(Compression.LZ4, 0, encrypted);
        }
        if (c.equals("zstd") || c.startsWith("zstd:")) {
            int level = DEFAULT_ZSTD_LEVEL;
            if (c.startsWith("zstd:")) {
                try {
                    level = Integer.parseInt(c.substring(5));
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("zstd level must be a whole number: '" + compression + "'");
                }
            }
            return new TransformPolicy(Compression.ZSTD, level, encrypted);
        }
        throw new IllegalArgumentException("compression must be none, lz4 or zstd[:level]: '" + compression + "'");
    }

    /** Parses the text form {@code COMPRESSION[+ENCRYPTION]}, for example {@code zstd:3+aes-256-gcm}. */
    public static TransformPolicy parse(String text) {
        Objects.requireNonNull(text, "text");
        int plus = text.indexOf('+');
        return plus < 0 ? of(text, null) : of(text.substring(0, plus), text.substring(plus + 1));
    }

    /** The compression as written in configs: {@code none}, {@code lz4} or {@code zstd:LEVEL}. */
    public String compressionLabel() {
        return compression == Compression.ZSTD ? "zstd:" + zstdLevel : compression.label();
    }

    /** The encryption as written in configs: {@code none} or {@code aes-256-gcm}. */
    public String encryptionLabel() {
        return encrypted ? AES_256_GCM : "none";
    }

    /** {@code COMPRESSION+ENCRYPTION}, for example {@code lz4+aes-256-gcm} or {@code zstd:1+none}. */
    @Override
    public String toString() {
        return compressionLabel() + "+" + encryptionLabel();
    }
}
