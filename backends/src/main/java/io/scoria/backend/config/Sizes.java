package io.scoria.backend.config;

import java.util.Locale;

/**
 * Parses byte sizes with human units: {@code 4096}, {@code 4KiB}, {@code 4MiB}, {@code 20GiB},
 * {@code 1TiB} (also {@code 4k}, {@code 4KB}: binary units either way). Stateless.
 */
public final class Sizes {
    private static final String[][] UNITS = {{"kib", "k", "kb"}, {"mib", "m", "mb"}, {"gib", "g", "gb"}, {"tib", "t", "tb"}};
    private static final String[] NAMES = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Sizes() {
    }

    /**
     * @param key the key or argument name, for the error message
     * @throws ConfigException naming {@code key} if the text is not a size
     */
    public static long parse(String key, String text) {
        if (text == null || text.isBlank()) {
            throw new ConfigException(key, "a size is required (for example 4MiB or 20GiB)");
        }
        String lower = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        String number = lower;
        outer:
        for (int i = UNITS.length - 1; i >= 0; i--) {
            for (String u : UNITS[i]) {
                if (lower.endsWith(u)) {
                    unit = 1L << (10 * (i + 1));
                    number = lower.substring(0, lower.length() - u.length()).trim();
                    break outer;
                }
            }
        }
        if (number.endsWith("b")) {
            number = number.substring(0, number.length() - 1).trim();
        }
        long n;
        try {
            n = Long.parseLong(number);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "not a size: '" + text
                    + "' (use a whole number with an optional unit B, KiB, MiB, GiB, TiB)");
        }
        if (n < 0 || (n > 0 && unit > Long.MAX_VALUE / n)) {
            throw new ConfigException(key, "size out of range: '" + text + "'");
        }
        return n * unit;
    }

    /** Formats bytes with the largest exact binary unit, for example {@code 20GiB}. */
    public static String format(long bytes) {
        int i = 0;
        while (i < NAMES.length - 1 && bytes != 0 && bytes % 1024 == 0) {
            bytes /= 1024;
            i++;
        }
        return bytes + NAMES[i];
    }
}
