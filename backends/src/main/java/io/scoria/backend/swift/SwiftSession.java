package io.scoria.backend.swift;

import java.time.Instant;
import java.util.Objects;

/**
 * A token and the storage URL it is valid for.
 *
 * @param storageUrl account URL without a trailing slash, e.g. {@code http://h:8080/v1/AUTH_test}
 * @param token      value for {@code X-Auth-Token}
 * @param expiresAt  when the token expires; null if the server did not say
 */
record SwiftSession(String storageUrl, String token, Instant expiresAt) {
    SwiftSession {
        Objects.requireNonNull(storageUrl, "storageUrl");
        Objects.requireNonNull(token, "token");
        while (storageUrl.endsWith("/")) {
            storageUrl = storageUrl.substring(0, storageUrl.length() - 1);
        }
    }

    /** True when the token expires within {@code marginSeconds} of {@code now}. */
    boolean expiresSoon(Instant now, long marginSeconds) {
        return expiresAt != null && now.plusSeconds(marginSeconds).isAfter(expiresAt);
    }
}
