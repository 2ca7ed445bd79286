package io.scoria.backend.swift;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * Configuration of a {@link SwiftObjectStore}; immutable and validated on construction.
 *
 * @param authUrl        TempAuth: the v1 auth URL ({@code http://host:8080/auth/v1.0});
 *                       Keystone: the identity v3 base ({@code http://host:5000/v3})
 * @param authType       TempAuth v1 or Keystone v3
 * @param user           TempAuth {@code account:user}; Keystone user name
 * @param password       TempAuth key; Keystone password. Never printed by {@link #toString()}
 * @param project        Keystone project name the token is scoped to; null for TempAuth
 * @param domain         Keystone domain name of both user and project; null for TempAuth
 * @param region         Keystone catalog region to pick the object-store endpoint from; null
 *                       takes the first public object-store endpoint. Null for TempAuth
 * @param requestTimeout limit of one HTTP exchange (a 5 GiB upload must fit in it)
 * @param retries        extra attempts of an idempotent call after a 5xx or connection error
 * @param retryBackoff   delay before the first retry; doubled for each further retry
 */
public record SwiftStoreConfig(URI authUrl, SwiftAuthType authType, String user, String password, String project,
                               String domain, String region, Duration requestTimeout, int retries,
                               Duration retryBackoff) {

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(120);
    public static final int DEFAULT_RETRIES = 4;
    public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofMillis(100);

    public SwiftStoreConfig {
        if (authUrl == null) {
            throw new IllegalArgumentException("authUrl must not be null");
        }
        String scheme = authUrl.getScheme() == null ? "" : authUrl.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || authUrl.getHost() == null) {
            throw new IllegalArgumentException("authUrl '" + authUrl + "' must be an absolute http(s) URL with a host");
        }
        if (authType == null) {
            throw new IllegalArgumentException("authType must not be null (TEMPAUTH or KEYSTONE)");
        }
        requireText(user, "user");
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("password must not be empty");
        }
        if (authType == SwiftAuthType.KEYSTONE) {
            requireText(project, "project");
            requireText(domain, "domain");
            if (region != null) {
                requireText(region, "region");
            }
        } else {
            for (String[] field : new String[][] {{"project", project}, {"domain", domain}, {"region", region}}) {
                if (field[1] != null) {
                    throw new IllegalArgumentException(field[0] + " is only used by KEYSTONE auth; it must be null for "
                            + authType);
                }
            }
        }
        if (requestTimeout == null || requestTimeout.isZero() || requestTimeout.isNegative()
                || requestTimeout.compareTo(Duration.ofHours(6)) > 0) {
            throw new IllegalArgumentException("requestTimeout must be positive and at most 6 hours: " + requestTimeout);
        }
        if (retries < 0 || retries > 20) {
            throw new IllegalArgumentException("retries must be 0 to 20: " + retries);
        }
        if (retryBackoff == null || retryBackoff.isZero() || retryBackoff.isNegative()
                || retryBackoff.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("retryBackoff must be positive and at most 1 minute: " + retryBackoff);
        }
    }

    /** TempAuth v1 with default timeout and retries. */
    public static SwiftStoreConfig tempAuth(URI authUrl, String user, String key) {
        return new SwiftStoreConfig(authUrl, SwiftAuthType.TEMPAUTH, user, key, null, null, null,
                DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF);
    }

    /** Keystone v3 password auth with default timeout and retries; {@code region} may be null. */
    public static SwiftStoreConfig keystone(URI identityUrl, String user, String password, String project,
                                            String domain, String region) {
        return new SwiftStoreConfig(identityUrl, SwiftAuthType.KEYSTONE, user, password, project, domain, region,
                DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF);
    }

    public SwiftStoreConfig withRetries(int newRetries, Duration newBackoff) {
        return new SwiftStoreConfig(authUrl, authType, user, password, project, domain, region, requestTimeout,
                newRetries, newBackoff);
    }

    public SwiftStoreConfig withRequestTimeout(Duration timeout) {
        return new SwiftStoreConfig(authUrl, authType, user, password, project, domain, region, timeout, retries,
                retryBackoff);
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
    }

    /** Like the record's, but the password is masked. */
    @Override
    public String toString() {
        return "SwiftStoreConfig[authUrl=" + authUrl + ", authType=" + authType + ", user=" + user
                + ", password=***, project=" + project + ", domain=" + domain + ", region=" + region
                + ", requestTimeout=" + requestTimeout + ", retries=" + retries + ", retryBackoff=" + retryBackoff + "]";
    }
}
