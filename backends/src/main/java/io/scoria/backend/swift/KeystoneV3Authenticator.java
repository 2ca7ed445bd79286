package io.scoria.backend.swift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scoria.backend.BackendUnavailableException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Keystone identity v3 password authentication, scoped to a project:
 * {@code POST <authUrl>/auth/tokens}; the token is the {@code X-Subject-Token} header and the
 * storage URL is the public {@code object-store} endpoint of the catalog (in the configured
 * region, if any).
 */
final class KeystoneV3Authenticator implements SwiftAuthenticator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SwiftStoreConfig config;
    private final String storeName;
    private final URI tokensUrl;

    KeystoneV3Authenticator(SwiftStoreConfig config, String storeName) {
        this.config = config;
        this.storeName = storeName;
        String base = config.authUrl().toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        this.tokensUrl = URI.create(base.endsWith("/auth/tokens") ? base : base + "/auth/tokens");
    }

    @Override
    public String endpoint() {
        return tokensUrl.toString();
    }

    @Override
    public SwiftSession authenticate(HttpClient client) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(tokensUrl)
                .timeout(config.requestTimeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody()))
                .build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw new BackendUnavailableException(storeName + ": wrong credentials: Keystone at " + endpoint()
                    + " refused user '" + config.user() + "' in domain '" + config.domain() + "' for project '"
                    + config.project() + "' (HTTP " + status + ")");
        }
        if (status >= 500) {
            throw new SwiftHttp.RetryableStatusException(status, SwiftHttp.excerpt(response.body()));
        }
        if (status / 100 != 2) {
            throw new BackendUnavailableException(storeName + ": Keystone at " + endpoint() + " answered HTTP "
                    + status + ": " + SwiftHttp.excerpt(response.body()));
        }
        String token = response.headers().firstValue("X-Subject-Token").orElseThrow(() ->
                new BackendUnavailableException(storeName + ": Keystone at " + endpoint()
                        + " answered without an X-Subject-Token header"));
        JsonNode body;
        try {
            body = JSON.readTree(response.body()).path("token");
        } catch (IOException e) {
            throw new BackendUnavailableException(storeName + ": Keystone at " + endpoint()
                    + " answered a token body that is not JSON: " + e.getMessage(), e);
        }
        return new SwiftSession(objectStoreUrl(body.path("catalog")), token, expiry(body.path("expires_at")));
    }

    private String requestBody() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode auth = root.putObject("auth");
        ObjectNode identity = auth.putObject("identity");
        identity.putArray("methods").add("password");
        ObjectNode user = identity.putObject("password").putObject("user");
        user.put("name", config.user());
        user.putObject("domain").put("name", config.domain());
        user.put("password", config.password());
        ObjectNode project = auth.putObject("scope").putObject("project");
        project.put("name", config.project());
        project.putObject("domain").put("name", config.domain());
        return root.toString();
    }

    private String objectStoreUrl(JsonNode catalog) {
        boolean sawObjectStore = false;
        for (JsonNode service : catalog) {
            if (!"object-store".equals(service.path("type").asText())) {
                continue;
            }
            sawObjectStore = true;
            for (JsonNode endpoint : service.path("endpoints")) {
                if (!"public".equals(endpoint.path("interface").asText())) {
                    continue;
                }
                String region = config.region();
                if (region == null || region.equals(endpoint.path("region_id").asText())
                        || region.equals(endpoint.path("region").asText())) {
                    String url = endpoint.path("url").asText("");
                    if (!url.isEmpty()) {
                        return url;
                    }
                }
            }
        }
        throw new BackendUnavailableException(storeName + ": Keystone at " + endpoint() + " returned no public "
                + "object-store endpoint" + (config.region() == null ? "" : " in region '" + config.region() + "'")
                + (sawObjectStore ? "" : " (the catalog has no object-store service at all)"));
    }

    private static Instant expiry(JsonNode expiresAt) {
        if (!expiresAt.isTextual()) {
            return null;
        }
        try {
            return Instant.parse(expiresAt.asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
