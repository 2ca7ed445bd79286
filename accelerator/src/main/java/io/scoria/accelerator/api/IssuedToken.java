package io.scoria.accelerator.api;

import java.util.Objects;

/** A token just created: its description and its secret, shown once. {@code toString} hides the secret. */
public record IssuedToken(TokenInfo info, BearerToken token) {
    public IssuedToken {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(token, "token");
    }
}
