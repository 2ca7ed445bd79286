package io.scoria.accelerator.control;

import java.util.Objects;

/**
 * A volume attached to a host: read-only or read-write, exclusive (the only host of the volume) or
 * shared (every host of the volume is attached shared, for cluster file systems). Immutable.
 */
public record Attachment(String volume, String host, boolean readOnly, boolean shared) {
    public Attachment {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(host, "host");
    }

    /** {@code rw} or {@code ro}. */
    public String mode() {
        return readOnly ? "ro" : "rw";
    }

    /** {@code rw} → false, {@code ro} → true; anything else is an IllegalArgumentException. */
    public static boolean readOnly(String mode) {
        if (mode == null || mode.equals("rw")) {
            return false;
        }
        if (mode.equals("ro")) {
            return true;
        }
        throw new IllegalArgumentException("mode must be rw or ro, not '" + mode + "'");
    }
}
