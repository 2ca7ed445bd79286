package io.scoria.accelerator.api;

import java.time.Instant;
import java.util.Objects;

/** What is known of a bearer token besides its secret: its id, role and creation time. Immutable. */
public record TokenInfo(String id, Role role, Instant created) {
    public TokenInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(created, "created");
    }
}
