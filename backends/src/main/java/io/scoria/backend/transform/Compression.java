package io.scoria.backend.transform;

import java.util.Locale;

/**
 * How the chunks of an object are compressed. The byte value is the chunk mode written in the
 * object index (sco-store/FORMATS.md, "Transformed objects"); {@link #NONE} is also the mode of a
 * chunk stored raw because compressing it did not make it smaller.
 */
public enum Compression {
    NONE(0),
    LZ4(1),
    ZSTD(2);

    private final int mode;

    Compression(int mode) {
        this.mode = mode;
    }

    /** The chunk mode byte of this compression. */
    public int mode() {
        return mode;
    }

    /** The compression of chunk mode {@code mode}, or null for an unknown mode. */
    static Compression ofMode(int mode) {
        for (Compression c : values()) {
            if (c.mode == mode) {
                return c;
            }
        }
        return null;
    }

    /** Lower-case name as written in configs and shown by {@code volume show}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
