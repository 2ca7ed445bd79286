package io.scoria.accelerator.foc;

import java.util.Locale;

/** How a volume uses its fail-over cache. */
public enum FocMode {
    /** A write is acknowledged after the FOC acknowledged it (default). */
    SYNC,
    /** Writes are batched to the FOC in the background; FLUSH and FUA wait for the FOC. */
    ASYNC,
    /** No fail-over cache. */
    NONE;

    /** Parses {@code sync}, {@code async} or {@code none} (any case). */
    public static FocMode parse(String text) {
        if (text != null) {
            for (FocMode m : values()) {
                if (m.name().equalsIgnoreCase(text.trim())) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("foc mode: expected sync, async or none, got '" + text + "'");
    }

    /** The lower-case name used in configuration. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
