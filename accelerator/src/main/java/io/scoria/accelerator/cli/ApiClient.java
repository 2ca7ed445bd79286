package io.scoria.accelerator.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.api.Json;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A blocking client of the management REST API, used by the CLI. A non-2xx answer becomes an
 * {@link ApiException} carrying the server's message. Thread-safe.
 */
final class ApiClient {
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = Json.mapper();

    static final class ApiException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    ApiClient(String base) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        try {
            this.base = URI.create(b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--api is not a URL: " + base);
        }
    }

    static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), path);
    }

    JsonNode post(String path, Object body) {
        try {
            byte[] b = json.writeValueAsBytes(body == null ? java.util.Map.of() : body);
            return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(b)), path);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
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
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode send(HttpRequest.Builder request, String path) {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.timeout(Duration.ofMinutes(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new ApiException(0, "cannot reach the Scoria API at " + base + " (is 'scoria serve' running?)");
        } catch (IOException e) {
            throw new ApiException(0, "API request to " + base + path + " failed: " + e);
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
        if (response.statusCode() / 100 != 2) {
            String message = node != null && node.hasNonNull("error") ? node.get("error").asText()
                    : "HTTP " + response.statusCode();
            throw new ApiException(response.statusCode(), message);
        }
        return node;
    }
}
