package io.scoria.accelerator.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * What a bearer token may do on the management API. {@link #ADMIN}: everything, including
 * token management ({@code /v1/tokens}) and key rotation ({@code /v1/backend/rotate-keys});
 * {@link #OPERATOR}: every volume, snapshot, clone and scrub call, neither of those; {@link #VIEWER}: reading only ({@code GET}, including
 * {@code /metrics}). Immutable.
 */
public enum Role {
    ADMIN, OPERATOR, VIEWER;

    /**
     * Whether this role may make a {@code method} call; {@code adminOnly}: a call only an admin may
     * make (under {@code /v1/tokens}, and key rotation).
     */
    public boolean permits(String method, boolean adminOnly) {
        return switch (this) {
            case ADMIN -> true;
            case OPERATOR -> !adminOnly;
            case VIEWER -> !adminOnly && (method.equals("GET") || method.equals("HEAD"));
        };
    }

    /** The name on the command line, in JSON and in the token file: {@code admin}, {@code operator}, {@code viewer}. */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named {@code name} (see {@link #wireName()}). */
    @JsonCreator
    public static Role parse(String name) {
        for (Role r : values()) {
            if (r.wireName().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("role must be admin, operator or viewer: " + name);
    }
}
