package io.scoria.accelerator.control;

import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When the router snapshots a volume and which of those snapshots it keeps, written as
 * {@code every 1h, keep 24 hourly + 7 daily}: a snapshot every {@code every}; of the snapshots the
 * schedule made, the newest {@code keepLast}, plus the newest of each of the last
 * {@code keepHourly} hours, {@code keepDaily} days and {@code keepWeekly} weeks (UTC; weeks start
 * on Monday) that have one, as restic's {@code forget --keep-*} counts them. A snapshot kept by any
 * rule stays. At least one count is positive, so the newest snapshot is always kept. Immutable.
 */
public record SnapshotSchedule(Duration every, int keepLast, int keepHourly, int keepDaily, int keepWeekly) {
    /** The text that turns a volume's schedule off (it then takes no snapshots, not even by the default). */
    public static final String NONE = "none";
    private static final int MAX_KEEP = 10_000;
    private static final Pattern FORM = Pattern.compile("every\\s+(\\S+?)\\s*(?:,\\s*keep\\s+(.+))?");
    private static final Pattern KEEP = Pattern.compile("(\\d{1,5})\\s+(last|hourly|daily|weekly)");
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 24 * HOUR;

    public SnapshotSchedule {
        if (every == null || every.compareTo(Duration.ofSeconds(1)) < 0 || every.compareTo(Duration.ofDays(366)) > 0) {
            throw new IllegalArgumentException("a schedule's interval must be 1s to 366d: " + every);
        }
        for (int k : new int[] {keepLast, keepHourly, keepDaily, keepWeekly}) {
            if (k < 0 || k > MAX_KEEP) {
                throw new IllegalArgumentException("a retention count must be 0-" + MAX_KEEP + ": " + k);
            }
        }
        if (keepLast + keepHourly + keepDaily + keepWeekly == 0) {
            throw new IllegalArgumentException("a schedule must keep something (keep N last|hourly|daily|weekly)");
        }
    }

    /**
     * Reads {@code every 1h, keep 24 hourly + 7 daily} (counts joined by {@code +}, {@code ,} or
     * {@code and}; units {@code last}, {@code hourly}, {@code daily}, {@code weekly}; intervals
     * {@code 30s}, {@code 15m}, {@code 1h}, {@code 1d}).
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static SnapshotSchedule parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher m = FORM.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a schedule: '" + text
                    + "' (expected e.g. 'every 1h, keep 24 hourly + 7 daily')");
        }
        if (m.group(2) == null) {
            throw new IllegalArgumentException("schedule '" + text + "' has no retention: add ', keep N last|hourly|daily|weekly'");
        }
        Duration every;
        try {
            every = Durations.parse("every", m.group(1));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("schedule '" + text + "': " + e.getMessage(), e);
        }
        int[] keep = new int[4];
        for (String part : m.group(2).split("\\s*(?:\\+|,|\\band\\b)\\s*")) {
            Matcher k = KEEP.matcher(part.trim());
            if (!k.matches()) {
                throw new IllegalArgumentException("schedule '" + text + "': cannot read '" + part.trim()
                        + "' (expected N last, N hourly, N daily or N weekly)");
            }
            int slot = List.of("last", "hourly", "daily", "weekly").indexOf(k.group(2));
            keep[slot] += Integer.parseInt(k.group(1));
        }
        return new SnapshotSchedule(every, keep[0], keep[1], keep[2], keep[3]);
    }

    /** The canonical text, e.g. {@code every 1h, keep 24 hourly + 7 daily}; {@link #parse} reads it back. */
    public String text() {
        List<String> parts = new ArrayList<>();
        add(parts, keepLast, "last");
        add(parts, keepHourly, "hourly");
        add(parts, keepDaily, "daily");
        add(parts, keepWeekly, "weekly");
        return "every " + format(every) + ", keep " + String.join(" + ", parts);
    }

    private static void add(List<String> parts, int n, String unit) {
        if (n > 0) {
            parts.add(n + " " + unit);
        }
    }

    private static String format(Duration d) {
        long s = d.toSeconds();
        if (d.toMillis() % 1000 != 0) {
            return d.toMillis() + "ms";
        }
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        return s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    /** Of the snapshots made at {@code createdMillis} (any order), the creation times this schedule keeps. */
    public Set<Long> keep(Collection<Long> createdMillis) {
        List<Long> newestFirst = new ArrayList<>(createdMillis);
        newestFirst.sort((a, b) -> Long.compare(b, a));
        Set<Long> kept = new HashSet<>();
        for (int i = 0; i < Math.min(keepLast, newestFirst.size()); i++) {
            kept.add(newestFirst.get(i));
        }
        keepPerBucket(newestFirst, keepHourly, HOUR, 0, kept);
        keepPerBucket(newestFirst, keepDaily, DAY, 0, kept);
        // epoch day 0 was a Thursday: shifting by 3 days makes weeks start on Monday
        keepPerBucket(newestFirst, keepWeekly, 7 * DAY, 3 * DAY, kept);
        return kept;
    }

    private static void keepPerBucket(List<Long> newestFirst, int buckets, long width, long shift, Set<Long> kept) {
        long last = Long.MIN_VALUE;
        int n = 0;
        for (long t : newestFirst) {
            if (n >= buckets) {
                return;
            }
            long bucket = Math.floorDiv(t + shift, width);
            if (bucket != last) {
                kept.add(t);
                last = bucket;
                n++;
            }
        }
    }
}
