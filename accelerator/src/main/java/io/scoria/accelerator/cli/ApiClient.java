package io.scoria.accelerator.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.api.BearerToken;
import io.scoria.accelerator.api.Json;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A blocking client of the management REST API, used by the CLI. Sends the bearer token (if
 * any) on every call; a non-2xx answer becomes an {@link ApiException} carrying the server's
 * problem detail. The token never appears in its messages. Thread-safe.
 */
final class ApiClient {
    private final URI base;
    private final BearerToken token;
    private final HttpClient http;
    private final ObjectMapper json = Json.mapper();

    static final class ApiException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** A client of the API at {@code base}; {@code token} and {@code tls} (trust for https) may be null. */
    ApiClient(String base, BearerToken token, SSLContext tls) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        try {
            this.base = URI.create(b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--api is not a URL: " + base);
        }
        String scheme = this.base.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("--api must be an http:// or https:// URL: " + base);
        }
        this.token = token;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.http = builder.build();
    }

    static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), path);
    }

    JsonNode post(String path, Object body) {
        return sendJson("POST", path, body);
    }

    JsonNode put(String path, Object body) {
        return sendJson("PUT", path, body);
    }

    private JsonNode sendJson(String method, String path, Object body) {
        try {
            byte[] b = json.writeValueAsBytes(body == null ? Map.of() : body);
            return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(b)), path);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode delete(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).DELETE(), path);
    }

    <T> T as(JsonNode node, TypeReference<T> type) {
        return json.convertValue(node, type);
    }

    String pretty(JsonNode node) {
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode send(HttpRequest.Builder request, String path) {
        if (token != null) {
            request.header("Authorization", "Bearer " + token.value());
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.timeout(Duration.ofMinutes(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new ApiException(0, "cannot reach the Scoria API at " + base + " (is 'scoria serve' running?)");
        } catch (SSLException e) {
            throw new ApiException(0, "TLS with " + base + " failed (pass the CA with --ca-file?): " + e.getMessage());
        } catch (IOException e) {
            throw new ApiException(0, "API request to " + base + path + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted");
        }
        JsonNode node = null;
        if (response.body().length > 0) {
            try {
                node = json.readTree(response.body());
            } catch (IOException e) {
                throw new ApiException(response.statusCode(), "HTTP " + response.statusCode() + " with a non-JSON body");
            }
        }
        int status = response.statusCode();
        if (status / 100 != 2) {
            String message = node != null && node.hasNonNull("detail") ? node.get("detail").asText() : "HTTP " + status;
            if (status == 401 && token == null) {
                message += "; pass --token-file FILE or set SCORIA_TOKEN (the router writes an admin token to"
                        + " <dataDir>/admin.token)";
            }
            throw new ApiException(status, message);
        }
        return node;
    }
}
