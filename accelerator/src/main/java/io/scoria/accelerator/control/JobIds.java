package io.scoria.accelerator.control;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Job ids: {@code j-} and 16 random hex digits; anything else is not a job id. Thread-safe. */
final class JobIds {
    private static final Pattern ID = Pattern.compile("j-[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private JobIds() {
    }

    static String next() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return "j-" + HexFormat.of().formatHex(b);
    }

    static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
