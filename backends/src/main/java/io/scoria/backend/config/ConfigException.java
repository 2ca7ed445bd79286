package io.scoria.backend.config;

/**
 * A configuration file or value is invalid. The message is {@code [source: ][key: ]problem},
 * for example {@code scoria.yaml: backend.s3.endpoint: must be an absolute http(s) URL}. The
 * key is the full path from the top of the file once {@link ConfigReader} has placed the error;
 * a record validating its own components names only its own key ({@code endpoint}), which the
 * reader prefixes with where the record sits. Messages never carry a secret's value.
 *
 * <p>An {@link IllegalArgumentException}, so that records built in code (not from a file) fail
 * the way invalid arguments do. Immutable.
 */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String key;
    private final String problem;

    /** A problem with no key or source, such as an unreadable file. */
    public ConfigException(String problem) {
        this(null, null, problem);
    }

    /** A problem with {@code key}, a dotted path relative to the record that found it. */
    public ConfigException(String key, String problem) {
        this(null, key, problem);
    }

    /**
     * @param source  the file (or other origin) of the configuration; null if unknown
     * @param key     the dotted key path ({@code nbd.port}, {@code stores[1].fs.root}); null or
     *                empty for the whole document
     * @param problem what is wrong, without the offending value when it is a secret
     */
    public ConfigException(String source, String key, String problem) {
        super(format(source, key, problem));
        this.source = source;
        this.key = key == null ? "" : key;
        this.problem = problem;
    }

    /** Throws a {@link ConfigException} naming {@code key} unless {@code ok}. */
    public static void check(boolean ok, String key, String problem) {
        if (!ok) {
            throw new ConfigException(key, problem);
        }
    }

    /** The dotted key path; empty for the whole document. */
    public String key() {
        return key;
    }

    /** What is wrong, without source and key. */
    public String problem() {
        return problem;
    }

    /** The file or origin; null if unknown. */
    public String source() {
        return source;
    }

    /** Joins two key paths: {@code join("backend", "s3.endpoint")}, {@code join("stores", "[1]")}. */
    public static String join(String outer, String inner) {
        if (outer == null || outer.isEmpty()) {
            return inner == null ? "" : inner;
        }
        if (inner == null || inner.isEmpty()) {
            return outer;
        }
        return inner.startsWith("[") ? outer + inner : outer + "." + inner;
    }

    private static String format(String source, String key, String problem) {
        StringBuilder b = new StringBuilder();
        if (source != null && !source.isEmpty()) {
            b.append(source).append(": ");
        }
        if (key != null && !key.isEmpty()) {
            b.append(key).append(": ");
        }
        return b.append(problem).toString();
    }
}
