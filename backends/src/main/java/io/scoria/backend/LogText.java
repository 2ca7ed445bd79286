package io.scoria.backend;

/**
 * Makes names that come from users or clients (volume names, NBD export names, namespaces, keys)
 * safe to put in a log line: the name is quoted, and a quote, a backslash and every control
 * character (newline, carriage return, escape, ...) become escapes ({@code \n}, {@code \r},
 * {@code \"}, {@code \\}, {@code \u001b}), so one log line stays one line and no terminal
 * sequence reaches an operator's screen. Stateless.
 */
public final class LogText {
    private LogText() {
    }

    /** {@code name} in double quotes with quotes, backslashes and control characters escaped; {@code null} as null. */
    public static String quote(String name) {
        if (name == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(name.length() + 2).append('"');
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
