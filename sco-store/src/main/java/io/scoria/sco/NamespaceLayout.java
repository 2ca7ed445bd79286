package io.scoria.sco;

import java.util.Locale;

/**
 * Object keys inside a volume's backend namespace (see FORMATS.md):
 * {@code sco/<number:8 hex>.<version:2 hex>}, {@code tlog/<number:16 hex>},
 * {@code manifest/<generation:20 digits>.json}. Keys sort in creation order. Stateless.
 */
public final class NamespaceLayout {
    public static final String SCO_PREFIX = "sco/";
    public static final String TLOG_PREFIX = "tlog/";
    public static final String MANIFEST_PREFIX = "manifest/";

    private NamespaceLayout() {
    }

    public static String scoKey(long scoNumber, int version) {
        if (scoNumber < 1 || scoNumber > ClusterLocation.MAX_SCO_NUMBER) {
            throw new IllegalArgumentException("scoNumber out of range: " + scoNumber);
        }
        if (version < 0 || version > 255) {
            throw new IllegalArgumentException("version must be 0..255: " + version);
        }
        return String.format(Locale.ROOT, "%s%08x.%02x", SCO_PREFIX, scoNumber, version);
    }

    /** The SCO key of a packed {@link ClusterLocation}. */
    public static String scoKey(long location) {
        return scoKey(ClusterLocation.scoNumber(location), ClusterLocation.version(location));
    }

    /** Parses the number of an SCO key; throws naming the key when it is not one. */
    public static long scoNumber(String key) {
        if (!key.startsWith(SCO_PREFIX) || key.length() != SCO_PREFIX.length() + 11 || key.charAt(SCO_PREFIX.length() + 8) != '.') {
            throw new IllegalArgumentException("not an SCO key: '" + key + "'");
        }
        return Long.parseLong(key.substring(SCO_PREFIX.length(), SCO_PREFIX.length() + 8), 16);
    }

    public static String tlogKey(long tlogNumber) {
        if (tlogNumber < 1) {
            throw new IllegalArgumentException("tlogNumber must be positive: " + tlogNumber);
        }
        return String.format(Locale.ROOT, "%s%016x", TLOG_PREFIX, tlogNumber);
    }

    public static long tlogNumber(String key) {
        if (!key.startsWith(TLOG_PREFIX) || key.length() != TLOG_PREFIX.length() + 16) {
            throw new IllegalArgumentException("not a TLog key: '" + key + "'");
        }
        return Long.parseUnsignedLong(key.substring(TLOG_PREFIX.length()), 16);
    }

    public static String manifestKey(long generation) {
        if (generation < 1) {
            throw new IllegalArgumentException("generation must be positive: " + generation);
        }
        return String.format(Locale.ROOT, "%s%020d.json", MANIFEST_PREFIX, generation);
    }

    public static long manifestGeneration(String key) {
        if (!key.startsWith(MANIFEST_PREFIX) || !key.endsWith(".json") || key.length() != MANIFEST_PREFIX.length() + 25) {
            throw new IllegalArgumentException("not a manifest key: '" + key + "'");
        }
        return Long.parseLong(key.substring(MANIFEST_PREFIX.length(), MANIFEST_PREFIX.length() + 20));
    }
}
