package io.scoria.backend.swift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-process stand-in for a Swift proxy plus its auth services, on a JDK
 * {@link HttpServer} on loopback: TempAuth v1 at {@code /auth/v1.0}, Keystone v3 password auth
 * at {@code /v3/auth/tokens} (a realistic token body and catalog with two regions and
 * internal/public interfaces), and the object API under {@code /v1/AUTH_<region>} (containers,
 * objects, ranged GET, JSON listings with prefix/marker/limit, {@code If-None-Match: *},
 * {@code ETag} checks). Faults: revoke all tokens, fail the next N storage calls with a status,
 * corrupt the next GET body. Test fixture; thread-safe.
 *
 * <p>The real Swift is exercised by the integration tests; this fake exists because no
 * Keystone runs here and because faults are easier to inject in-process.
 */
final class FakeSwift implements AutoCloseable {
    static final String USER = "scoria";
    static final String PASSWORD = "s3cret";
    static final String PROJECT = "volumes";
    static final String DOMAIN = "Default";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(24);
    private final Set<String> validTokens = ConcurrentHashMap.newKeySet();
    private final Map<String, NavigableMap<String, StoredObject>> containers = new ConcurrentHashMap<>();
    private final AtomicInteger tokenCounter = new AtomicInteger();
    final AtomicInteger authCalls = new AtomicInteger();
    final AtomicInteger storageCalls = new AtomicInteger();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile int failStatus;
    private volatile boolean corruptNextGet;
    volatile JsonNode lastKeystoneRequest;
    volatile String lastAccount;

    private record StoredObject(byte[] data, String etag, Instant modified) {
    }

    FakeSwift() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(executor);
        server.createContext("/auth/v1.0", this::tempAuth);
        server.createContext("/v3/auth/tokens", this::keystone);
        server.createContext("/v1/", this::storage);
        server.start();
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    URI tempAuthUrl() {
        return baseUrl().resolve("/auth/v1.0");
    }

    URI keystoneUrl() {
        return baseUrl().resolve("/v3");
    }

    /** Every token issued so far stops working (as after a Keystone restart or expiry). */
    void revokeTokens() {
        validTokens.clear();
    }

    /** The next {@code n} storage requests get {@code status} without being executed. */
    void failNext(int n, int status) {
        failStatus = status;
        failNext.set(n);
    }

    void corruptNextGet() {
        corruptNextGet = true;
    }

    private String newToken() {
        String token = "tk" + tokenCounter.incrementAndGet();
        validTokens.add(token);
        return token;
    }

    private void tempAuth(HttpExchange ex) throws IOException {
        authCalls.incrementAndGet();
        String user = ex.getRequestHeaders().getFirst("X-Auth-User");
        String key = ex.getRequestHeaders().getFirst("X-Auth-Key");
        if (!"test:tester".equals(user) || !"testing".equals(key)) {
            send(ex, 401, "Unauthorized".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String token = newToken();
        ex.getResponseHeaders().set("X-Auth-Token", token);
        ex.getResponseHeaders().set("X-Storage-Url", baseUrl() + "/v1/AUTH_test");
        ex.getResponseHeaders().set("X-Auth-Token-Expires", "86399");
        send(ex, 200, new byte[0]);
    }

    private void keystone(HttpExchange ex) throws IOException {
        authCalls.incrementAndGet();
        JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
        lastKeystoneRequest = body;
        JsonNode auth = body.path("auth");
        JsonNode user = auth.path("identity").path("password").path("user");
        JsonNode project = auth.path("scope").path("project");
        boolean ok = "POST".equals(ex.getRequestMethod())
                && auth.path("identity").path("methods").toString().equals("[\"password\"]")
                && USER.equals(user.path("name").asText()) && PASSWORD.equals(user.path("password").asText())
                && DOMAIN.equals(user.path("domain").path("name").asText())
                && PROJECT.equals(project.path("name").asText())
                && DOMAIN.equals(project.path("domain").path("name").asText());
        if (!ok) {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            send(ex, 401, ("{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", \"message\": "
                    + "\"The request you have made requires authentication.\"}}").getBytes(StandardCharsets.UTF_8));
            return;
        }
        ObjectNode root = JSON.createObjectNode();
        ObjectNode token = root.putObject("token");
        token.putArray("methods").add("password");
        token.put("expires_at", Instant.now().plusSeconds(3600).toString());
        token.put("issued_at", Instant.now().toString());
        token.putObject("user").put("id", "u1").put("name", USER).putObject("domain").put("id", "default")
                .put("name", DOMAIN);
        token.putObject("project").put("id", "p1").put("name", PROJECT).putObject("domain").put("id", "default")
                .put("name", DOMAIN);
        token.putArray("roles").addObject().put("id", "r1").put("name", "member");
        ArrayNode catalog = token.putArray("catalog");
        ObjectNode identity = catalog.addObject().put("type", "identity").put("name", "keystone").put("id", "s1");
        endpoint(identity.putArray("endpoints"), "public", "RegionOne", baseUrl() + "/v3");
        ObjectNode swift = catalog.addObject().put("type", "object-store").put("name", "swift").put("id", "s2");
        ArrayNode endpoints = swift.putArray("endpoints");
        endpoint(endpoints, "internal", "RegionOne", "http://127.0.0.1:1/v1/AUTH_internal");
        endpoint(endpoints, "admin", "RegionOne", "http://127.0.0.1:1/v1");
        endpoint(endpoints, "public", "RegionOne", baseUrl() + "/v1/AUTH_one");
        endpoint(endpoints, "internal", "RegionTwo", "http://127.0.0.1:1/v1/AUTH_internal2");
        endpoint(endpoints, "public", "RegionTwo", baseUrl() + "/v1/AUTH_two");
        ex.getResponseHeaders().set("X-Subject-Token", newToken());
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 201, root.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void endpoint(ArrayNode endpoints, String iface, String region, String url) {
        endpoints.addObject().put("id", iface + region).put("interface", iface).put("region", region)
                .put("region_id", region).put("url", url);
    }

    private void storage(HttpExchange ex) throws IOException {
        storageCalls.incrementAndGet();
        byte[] body = ex.getRequestBody().readAllBytes();
        String token = ex.getRequestHeaders().getFirst("X-Auth-Token");
        if (token == null || !validTokens.contains(token)) {
            send(ex, 401, "<html><h1>Unauthorized</h1></html>".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, failStatus, ("injected " + failStatus).getBytes(StandardCharsets.UTF_8));
            return;
        }
        // /v1/<account>[/<container>[/<object>]]
        String path = ex.getRequestURI().getRawPath();
        String[] parts = path.substring("/v1/".length()).split("/", 3);
        lastAccount = parts[0];
        String method = ex.getRequestMethod();
        Map<String, String> query = query(ex.getRequestURI());
        if (parts.length == 1 || parts[1].isEmpty()) {
            listContainers(ex, query);
        } else if (parts.length == 2 || parts[2].isEmpty()) {
            container(ex, method, parts[1], query);
        } else {
            object(ex, method, parts[1], URLDecoder.decode(parts[2].replace("+", "%2B"), StandardCharsets.UTF_8),
                    body);
        }
    }

    private void listContainers(HttpExchange ex, Map<String, String> query) throws IOException {
        ArrayNode out = JSON.createArrayNode();
        String marker = query.getOrDefault("marker", "");
        int limit = Integer.parseInt(query.getOrDefault("limit", "10000"));
        containers.keySet().stream().sorted().filter(n -> n.compareTo(marker) > 0).limit(limit)
                .forEach(n -> out.addObject().put("name", n).put("count", containers.get(n).size()).put("bytes", 0));
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        send(ex, 200, out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void container(HttpExchange ex, String method, String name, Map<String, String> query) throws IOException {
        NavigableMap<String, StoredObject> objects = containers.get(name);
        switch (method) {
            case "PUT" -> send(ex, containers.putIfAbsent(name, new ConcurrentSkipListMap<>()) == null ? 201 : 202,
                    new byte[0]);
            case "HEAD" -> send(ex, objects == null ? 404 : 204, new byte[0]);
            case "DELETE" -> {
                if (objects == null) {
                    send(ex, 404, new byte[0]);
                } else if (!objects.isEmpty()) {
                    send(ex, 409, "There was a conflict when trying to complete your request."
                            .getBytes(StandardCharsets.UTF_8));
                } else {
                    containers.remove(name);
                    send(ex, 204, new byte[0]);
                }
            }
            case "GET" -> {
                if (objects == null) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                int limit = Integer.parseInt(query.getOrDefault("limit", "10000"));
                if (limit > 10000) {
                    send(ex, 412, "Maximum limit is 10000".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                String prefix = query.getOrDefault("prefix", "");
                String marker = query.get("marker");
                ArrayNode out = JSON.createArrayNode();
                NavigableMap<String, StoredObject> view = marker == null ? objects : objects.tailMap(marker, false);
                for (Map.Entry<String, StoredObject> e : view.entrySet()) {
                    if (out.size() == limit) {
                        break;
                    }
                    if (e.getKey().startsWith(prefix)) {
                        out.addObject().put("name", e.getKey()).put("bytes", e.getValue().data().length)
                                .put("hash", e.getValue().etag()).put("content_type", "application/octet-stream")
                                .put("last_modified", listingTime(e.getValue().modified()));
                    }
                }
                ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                send(ex, 200, out.toString().getBytes(StandardCharsets.UTF_8));
            }
            default -> send(ex, 405, new byte[0]);
        }
    }

    private void object(HttpExchange ex, String method, String container, String name, byte[] body)
            throws IOException {
        NavigableMap<String, StoredObject> objects = containers.get(container);
        if (objects == null) {
            send(ex, 404, new byte[0]);
            return;
        }
        StoredObject current = objects.get(name);
        switch (method) {
            case "PUT" -> {
                String etag = Md5.of(ByteBuffer.wrap(body));
                String expected = ex.getRequestHeaders().getFirst("ETag");
                if (expected != null && !expected.equalsIgnoreCase(etag)) {
                    send(ex, 422, "Unprocessable Entity".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                StoredObject stored = new StoredObject(body, etag, Instant.now());
                if ("*".equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                    if (objects.putIfAbsent(name, stored) != null) {
                        send(ex, 412, "Precondition Failed".getBytes(StandardCharsets.UTF_8));
                        return;
                    }
                } else {
                    objects.put(name, stored);
                }
                ex.getResponseHeaders().set("Etag", etag);
                send(ex, 201, new byte[0]);
            }
            case "DELETE" -> send(ex, objects.remove(name) == null ? 404 : 204, new byte[0]);
            case "HEAD" -> {
                if (current == null) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                describe(ex, current);
                ex.getResponseHeaders().set("Content-Length", Integer.toString(current.data().length));
                ex.sendResponseHeaders(200, -1);
                ex.close();
            }
            case "GET" -> {
                if (current == null) {
                    send(ex, 404, new byte[0]);
                    return;
                }
                describe(ex, current);
                byte[] data = current.data();
                if (corruptNextGet && data.length > 0) {
                    corruptNextGet = false;
                    data = data.clone();
                    data[data.length / 2] ^= 1;
                }
                String range = ex.getRequestHeaders().getFirst("Range");
                if (range == null) {
                    send(ex, 200, data);
                    return;
                }
                String[] bounds = range.substring("bytes=".length()).split("-");
                long first = Long.parseLong(bounds[0]);
                long last = Math.min(Long.parseLong(bounds[1]), data.length - 1L);
                if (first >= data.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                    send(ex, 416, "Requested Range Not Satisfiable".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + data.length);
                byte[] slice = java.util.Arrays.copyOfRange(data, (int) first, (int) last + 1);
                send(ex, 206, slice);
            }
            default -> send(ex, 405, new byte[0]);
        }
    }

    private static void describe(HttpExchange ex, StoredObject object) {
        ex.getResponseHeaders().set("Etag", object.etag());
        ex.getResponseHeaders().set("X-Timestamp", String.format("%d.%05d", object.modified().getEpochSecond(),
                object.modified().getNano() / 10_000));
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if ("HEAD".equals(ex.getRequestMethod())) {
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> params = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            params.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return params;
    }

    static String listingTime(Instant t) {
        return LocalDateTime.ofInstant(t, ZoneOffset.UTC).toString();
    }
}
