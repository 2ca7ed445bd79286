package io.scoria.accelerator.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback converter {@code %escapedMsg}: the formatted message with control characters
 * (newline, carriage return, escape, ...) written as escapes ({@code \n}, {@code \r},
 * {@code \u001b}), so that a name a client sent (an NBD export, an iSCSI target, a REST path)
 * can neither forge a second log line nor send terminal sequences. Stack traces ({@code %ex})
 * are not touched. Stateless and thread-safe.
 */
public final class EscapedMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        String m = event.getFormattedMessage();
        if (m == null) {
            return "null";
        }
        int i = 0;
        while (i < m.length() && !needsEscape(m.charAt(i))) {
            i++;
        }
        if (i == m.length()) {
            return m;
        }
        StringBuilder b = new StringBuilder(m.length() + 16).append(m, 0, i);
        for (; i < m.length(); i++) {
            char c = m.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    private static boolean needsEscape(char c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
    }
}
