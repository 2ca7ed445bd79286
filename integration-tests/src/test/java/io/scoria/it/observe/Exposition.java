package io.scoria.it.observe;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A parsed Prometheus text exposition: families (TYPE and HELP) and sample values, for assertions. */
final class Exposition {
    private static final Pattern HELP = Pattern.compile("(?m)^# HELP (\\S+) ?(.*)$");
    private static final Pattern TYPE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");
    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)");

    final String text;
    final Map<String, String> help = new LinkedHashMap<>();
    final Map<String, String> types = new LinkedHashMap<>();

    Exposition(String text) {
        this.text = text;
        Matcher h = HELP.matcher(text);
        while (h.find()) {
            help.put(h.group(1), h.group(2).strip());
        }
        Matcher t = TYPE.matcher(text);
        while (t.find()) {
            types.put(t.group(1), t.group(2));
        }
    }

    /** Every sample name (with _bucket/_count/_sum/_total as written). */
    Set<String> sampleNames() {
        Set<String> names = new TreeSet<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Families whose HELP is missing or empty. */
    Set<String> familiesWithoutHelp() {
        Set<String> missing = new TreeSet<>();
        for (String family : types.keySet()) {
            String h = help.get(family);
            if (h == null || h.isEmpty()) {
                missing.add(family);
            }
        }
        return missing;
    }

    /** The value of the sample {@code name} whose labels include every {@code label="value"} pair given, or NaN. */
    double value(String name, String... labels) {
        Matcher m = SAMPLE.matcher(text);
        outer:
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            String l = m.group(2) == null ? "" : m.group(2);
            for (String pair : labels) {
                if (!l.contains(pair)) {
                    continue outer;
                }
            }
            return Double.parseDouble(m.group(3));
        }
        return Double.NaN;
    }
}
