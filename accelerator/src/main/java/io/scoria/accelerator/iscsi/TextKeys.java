package io.scoria.accelerator.iscsi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Text keys of Login and Text PDUs (RFC 7143 section 6): {@code key=value} pairs, each ended by a
 * NUL byte, UTF-8. Keys keep their order. A pair without {@code =}, an empty or over-long key or a
 * key given twice is a {@link LoginException} (the caller turns it into the right status). Values
 * longer than 8 KiB are refused too (the longest standard value, a CHAP challenge, is far shorter).
 */
final class TextKeys {
    static final int MAX_KEY = 63;
    static final int MAX_VALUE = 8192;

    private TextKeys() {
    }

    static Map<String, String> parse(byte[] text) {
        Map<String, String> keys = new LinkedHashMap<>();
        int start = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i < text.length && text[i] != 0) {
                continue;
            }
            if (i > start) {
                String pair = new String(text, start, i - start, StandardCharsets.UTF_8);
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq > MAX_KEY || pair.length() - eq - 1 > MAX_VALUE) {
                    throw new LoginException(LoginException.INITIATOR_ERROR, "malformed text key: "
                            + pair.substring(0, Math.min(pair.length(), 40)));
                }
                String key = pair.substring(0, eq);
                if (keys.putIfAbsent(key, pair.substring(eq + 1)) != null) {
                    throw new LoginException(LoginException.INITIATOR_ERROR, "key given twice: " + key);
                }
            }
            start = i + 1;
        }
        return keys;
    }

    static byte[] format(Map<String, String> keys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        keys.forEach((k, v) -> {
            out.writeBytes((k + "=" + v).getBytes(StandardCharsets.UTF_8));
            out.write(0);
        });
        return out.toByteArray();
    }
}
