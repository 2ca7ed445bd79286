package io.scoria.backend.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses positive durations written as {@code 500ms}, {@code 5s}, {@code 1m}, {@code 2h} or {@code 7d}. Stateless. */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("\\s*(\\d{1,9})\\s*(ms|s|m|h|d)\\s*");

    private Durations() {
    }

    /**
     * @param key the key, for the error message
     * @throws ConfigException naming {@code key} if the text is not a positive duration
     */
    public static Duration parse(String key, String text) {
        Matcher m = DURATION.matcher(text == null ? "" : text);
        ConfigException.check(m.matches(), key, "expected a duration such as 500ms, 5s, 1m, 2h or 7d: " + text);
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        ConfigException.check(!d.isZero(), key, "must be positive: " + text);
        return d;
    }
}
