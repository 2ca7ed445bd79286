package io.scoria.backend.swift;

import io.scoria.backend.BackendUnavailableException;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;

/** TempAuth v1: {@code GET authUrl} with {@code X-Auth-User}/{@code X-Auth-Key}. */
final class TempAuthAuthenticator implements SwiftAuthenticator {
    private final SwiftStoreConfig config;
    private final String storeName;

    TempAuthAuthenticator(SwiftStoreConfig config, String storeName) {
        this.config = config;
        this.storeName = storeName;
    }

    @Override
    public String endpoint() {
        return config.authUrl().toString();
    }

    @Override
    public SwiftSession authenticate(HttpClient client) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(config.authUrl())
                .timeout(config.requestTimeout())
                .header("X-Auth-User", config.user())
                .header("X-Auth-Key", config.password())
                .GET()
                .build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw new BackendUnavailableException(storeName + ": wrong credentials: TempAuth at " + endpoint()
                    + " refused user '" + config.user() + "' (HTTP " + status + ")");
        }
        if (status >= 500) {
            throw new SwiftHttp.RetryableStatusException(status, SwiftHttp.excerpt(response.body()));
        }
        if (status / 100 != 2) {
            throw new BackendUnavailableException(storeName + ": TempAuth at " + endpoint() + " answered HTTP "
                    + status + ": " + SwiftHttp.excerpt(response.body()));
        }
        String storageUrl = response.headers().firstValue("X-Storage-Url").orElse(null);
        String token = response.headers().firstValue("X-Auth-Token")
                .or(() -> response.headers().firstValue("X-Storage-Token")).orElse(null);
        if (storageUrl == null || token == null) {
            throw new BackendUnavailableException(storeName + ": TempAuth at " + endpoint()
                    + " answered without X-Storage-Url or X-Auth-Token; is this a Swift v1 auth URL?");
        }
        Instant expiresAt = response.headers().firstValue("X-Auth-Token-Expires")
                .map(TempAuthAuthenticator::parseSeconds)
                .map(seconds -> Instant.now().plusSeconds(seconds))
                .orElse(null);
        return new SwiftSession(storageUrl, token, expiresAt);
    }

    private static Long parseSeconds(String value) {
        try {
            return (long) Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
