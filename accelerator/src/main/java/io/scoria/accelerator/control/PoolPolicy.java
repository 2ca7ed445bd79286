package io.scoria.accelerator.control;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** What happens to a pool desktop's write space when nobody uses it. */
public enum PoolPolicy {
    /** Discarded when its host detaches it (and on {@code pool reset}): every session starts from the template. */
    RESET_ON_DETACH,
    /** Kept: the desktop belongs to its user; {@code pool reset} refuses, {@code recompose} needs force. */
    PERSISTENT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** {@code reset-on-detach} or {@code persistent}; anything else is an {@link IllegalArgumentException} naming it. */
    @JsonCreator
    public static PoolPolicy parse(String text) {
        for (PoolPolicy p : values()) {
            if (p.wireName().equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("policy must be reset-on-detach or persistent: " + text);
    }
}
