package io.scoria.backend.swift;

import java.nio.charset.StandardCharsets;

/** Percent-encoding of object names and query values for Swift URLs. Stateless. */
final class SwiftNames {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private SwiftNames() {
    }

    /**
     * Encodes every UTF-8 byte except unreserved characters and {@code /}, which stays a path
     * separator in object names and is legal in query values.
     */
    static String encode(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
            if (unreserved) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >>> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }
}
