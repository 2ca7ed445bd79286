package io.scoria.backend;

import java.nio.charset.StandardCharsets;

/** Validation of namespace and key names shared by every store (see {@link ObjectStore}). */
public final class Names {
    private Names() {
    }

    /** Throws {@link IllegalArgumentException} naming {@code namespace} unless it is valid. */
    public static void checkNamespace(String namespace) {
        if (namespace == null) {
            throw new IllegalArgumentException("namespace must not be null");
        }
        int n = namespace.length();
        if (n < 3 || n > 63) {
            throw new IllegalArgumentException("namespace '" + namespace + "' must be 3 to 63 characters long");
        }
        for (int i = 0; i < n; i++) {
            char c = namespace.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            boolean edge = i == 0 || i == n - 1;
            if (!alnum && (edge || (c != '-' && c != '.'))) {
                throw new IllegalArgumentException("namespace '" + namespace
                        + "' may only hold a-z, 0-9, '-' and '.', and must start and end with a letter or digit");
            }
        }
        if (namespace.contains("..")) {
            throw new IllegalArgumentException("namespace '" + namespace + "' must not contain '..'");
        }
    }

    /** Throws {@link IllegalArgumentException} naming {@code key} unless it is valid. */
    public static void checkKey(String key, int maxKeyLength) {
        if (key == null) {
            throw new IllegalArgumentException("key must not be null");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxKeyLength) {
            throw new IllegalArgumentException("key '" + abbreviate(key) + "' is " + bytes
                    + " bytes, more than the store's limit of " + maxKeyLength);
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("key '" + abbreviate(key) + "' contains a control character at index " + i);
            }
        }
        if (key.startsWith("/")) {
            throw new IllegalArgumentException("key '" + abbreviate(key) + "' must not start with '/'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("key '" + abbreviate(key)
                        + "' must not contain empty, '.' or '..' path segments");
            }
        }
    }

    /** Throws unless {@code prefix} is null, empty, or free of control characters. */
    public static void checkPrefix(String prefix) {
        if (prefix == null) {
            return;
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("prefix contains a control character at index " + i);
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
