package io.scoria.backend.fs;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reversible key → file name mapping: {@code [A-Za-z0-9._-]} stay, every other UTF-8 byte
 * becomes {@code %XX}. So {@code /} never reaches the file system and a name never starts with
 * the store's temporary-file prefix {@code ~}.
 */
final class KeyCodec {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private KeyCodec() {
    }

    static String encode(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-') {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >>> 4]).append(HEX[c & 15]);
            }
        }
        return sb.toString();
    }

    static String decode(String fileName) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(fileName.length());
        for (int i = 0; i < fileName.length(); i++) {
            char c = fileName.charAt(i);
            if (c == '%' && i + 2 < fileName.length()) {
                out.write(Integer.parseInt(fileName, i + 1, i + 3, 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
