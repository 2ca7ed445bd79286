package io.scoria.accelerator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.scoria.accelerator.control.Project;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One request as the routes see it: method, decoded path segments, the token that made it (once
 * authenticated: {@link #as}) and a JSON body read with a size limit (413 above it, however the body
 * is framed). Used by one request thread.
 */
final class ApiCall {
    private final HttpExchange exchange;
    private final ObjectMapper json;
    private final int maxBodyBytes;
    final String method;
    final String[] path;
    /** The token that made the call; null until authenticated. */
    final TokenInfo caller;

    ApiCall(HttpExchange exchange, ObjectMapper json, int maxBodyBytes) {
        this(exchange, json, maxBodyBytes, null);
    }

    private ApiCall(HttpExchange exchange, ObjectMapper json, int maxBodyBytes, TokenInfo caller) {
        this.exchange = exchange;
        this.json = json;
        this.maxBodyBytes = maxBodyBytes;
        this.method = exchange.getRequestMethod();
        this.path = segments(exchange.getRequestURI().getRawPath());
        this.caller = caller;
    }

    /** This call, made by {@code token} (authenticated). */
    ApiCall as(TokenInfo token) {
        return new ApiCall(exchange, json, maxBodyBytes, java.util.Objects.requireNonNull(token, "token"));
    }

    /**
     * The project a volume, host or token this call makes belongs to: {@code asked}, else the caller's (for a
     * token of every project, {@link Project#DEFAULT}); 403 if the caller does not reach it.
     */
    String projectFor(String asked) {
        String p = asked != null ? asked : caller.allProjects() ? Project.DEFAULT : caller.project();
        if (!caller.reaches(p)) {
            throw new ProblemException(403, "forbidden", "Forbidden", "a token of project " + caller.project()
                    + " may not make things in project " + p);
        }
        return p;
    }

    /** The request's path as sent (not decoded). */
    String rawPath() {
        return exchange.getRequestURI().getRawPath();
    }

    /** Path segment {@code i}, or "" beyond the end. */
    String at(int i) {
        return i < path.length ? path[i] : "";
    }

    /** The decoded value of query parameter {@code name}, or null if the query does not have it; 400 if it repeats. */
    String query(String name) {
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) {
            return null;
        }
        String found = null;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.equals(name)) {
                if (found != null) {
                    throw ProblemException.badRequest("query parameter '" + name + "' is given twice");
                }
                found = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return found;
    }

    /** The request body as a {@code type}; 400 if it is missing or not valid JSON of that type. */
    <T> T body(Class<T> type) {
        byte[] raw = raw();
        if (raw.length == 0) {
            throw ProblemException.badRequest("a JSON body is required");
        }
        try {
            return json.readValue(raw, type);
        } catch (JsonProcessingException e) {
            throw ProblemException.badRequest("bad JSON body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse the request body", e);
        }
    }

    /**
     * The request body as a JSON object of strings; an empty map if there is no body. 400 if it
     * is not such an object.
     */
    java.util.Map<String, String> optionalBody() {
        byte[] raw = raw();
        if (raw.length == 0) {
            return java.util.Map.of();
        }
        try {
            return json.readValue(raw, new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, String>>() { });
        } catch (JsonProcessingException e) {
            throw ProblemException.badRequest("the body must be a JSON object of strings: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse the request body", e);
        }
    }

    /** The request body's bytes; 413 above the limit. */
    private byte[] raw() {
        byte[] raw;
        try {
            raw = exchange.getRequestBody().readNBytes(maxBodyBytes + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the request body", e);
        }
        if (raw.length > maxBodyBytes) {
            throw ProblemException.tooLarge(maxBodyBytes);
        }
        return raw;
    }

    ProblemException notFound() {
        return ProblemException.notFound("no such resource: " + method + " " + exchange.getRequestURI().getPath());
    }

    ProblemException methodNotAllowed() {
        return new ProblemException(405, "method-not-allowed", "Method not allowed",
                "method " + method + " is not allowed on " + exchange.getRequestURI().getPath());
    }

    private static String[] segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        return out.toArray(new String[0]);
    }
}
