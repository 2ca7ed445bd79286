package io.scoria.accelerator.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import io.scoria.accelerator.testing.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLHandshakeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real {@link ApiServer} on loopback: authentication, roles, browser defences, problem details, limits, TLS. */
class ApiServerSecurityTest {
    private static final int LIMIT = 4096;

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();
    final ApiCalls calls = new ApiCalls();
    final ObjectMapper json = new ObjectMapper();
    final List<ApiServer> servers = new ArrayList<>();

    ApiServer start(ApiServerConfig config, VolumeService volumes) {
        ApiServer s = new ApiServer(config, volumes, new ScoriaConfig.Volumes(null, null),
                ScoriaMetrics.newRegistry(), null);
        servers.add(s);
        return s;
    }

    ApiServer start() {
        return start(ApiServerConfig.of("127.0.0.1", 0, dir).withMaxBodyBytes(LIMIT), new InMemoryVolumeService());
    }

    @AfterEach
    void stop() {
        servers.forEach(ApiServer::close);
    }

    HttpResponse<String> call(ApiServer s, String method, String path, BearerToken token, String jsonBody)
            throws IOException, InterruptedException {
        return calls.call(s, method, path, token, jsonBody);
    }

    /**
     * One raw HTTP/1.1 request (headers as given, so Host and Origin are the test's); the answer's
     * head and body (read by its Content-Length: the server may still wait for a body it refused).
     */
    String raw(ApiServer s, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", s.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    return head.toString();
                }
                head.append((char) c);
            }
            var length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
            return head + new String(in.readNBytes(n), StandardCharsets.UTF_8);
        }
    }

    JsonNode problem(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(Problem.MEDIA_TYPE, r.headers().firstValue("Content-Type").orElse(""));
        JsonNode p = json.readTree(r.body());
        assertTrue(p.get("type").asText().startsWith("urn:scoria:problem:"), r.body());
        assertFalse(p.get("title").asText().isEmpty(), r.body());
        assertEquals(status, p.get("status").asInt(), r.body());
        assertFalse(p.get("detail").asText().isEmpty(), r.body());
        assertEquals(r.uri().getRawPath(), p.get("instance").asText(), r.body());
        return p;
    }

    @Test
    void withoutOrWithABadTokenTheAnswerIs401WithABearerChallenge() throws Exception {
        ApiServer s = start();
        HttpResponse<String> none = call(s, "GET", "/v1/volumes", null, null);
        problem(none, 401);
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        HttpResponse<String> bad = call(s, "GET", "/v1/volumes", BearerToken.of("scoria_not-a-token"), null);
        problem(bad, 401);
        assertTrue(bad.headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_token"));
        problem(call(s, "GET", "/metrics", null, null), 401);
        assertEquals(200, call(s, "GET", "/openapi.yaml", null, null).statusCode(), "the API description is public");
        assertEquals(200, call(s, "GET", "/v1/health", null, null).statusCode(), "liveness is public");
    }

    @Test
    void eachRoleMayMakeItsCallsAndGets403ForTheOthers() throws Exception {
        ApiServer s = start();
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        BearerToken operator = s.tokens().create(Role.OPERATOR).token();
        BearerToken viewer = s.tokens().create(Role.VIEWER).token();
        String volume = "{\"name\":\"v%s\",\"size\":\"1MiB\"}";

        assertEquals(201, call(s, "POST", "/v1/volumes", admin, volume.formatted(1)).statusCode());
        assertEquals(201, call(s, "POST", "/v1/volumes", operator, volume.formatted(2)).statusCode());
        problem(call(s, "POST", "/v1/volumes", viewer, volume.formatted(3)), 403);
        assertEquals(201, call(s, "POST", "/v1/volumes/v1/snapshots", operator, "{\"name\":\"s\"}").statusCode());
        problem(call(s, "DELETE", "/v1/volumes/v1/snapshots/s", viewer, null), 403);
        assertEquals(204, call(s, "DELETE", "/v1/volumes/v2", operator, null).statusCode());

        for (BearerToken t : List.of(admin, operator, viewer)) {
            assertEquals(200, call(s, "GET", "/v1/volumes", t, null).statusCode());
            HttpResponse<String> metrics = call(s, "GET", "/metrics", t, null);
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "Prometheus text");
        }

        problem(call(s, "GET", "/v1/tokens", operator, null), 403);
        problem(call(s, "POST", "/v1/tokens", operator, "{\"role\":\"admin\"}"), 403);
        problem(call(s, "GET", "/v1/tokens", viewer, null), 403);
        HttpResponse<String> made = call(s, "POST", "/v1/tokens", admin, "{\"role\":\"viewer\"}");
        assertEquals(201, made.statusCode(), made.body());
        JsonNode created = json.readTree(made.body());
        assertEquals("viewer", created.get("role").asText());
        BearerToken fresh = BearerToken.of(created.get("token").asText());
        assertEquals(200, call(s, "GET", "/v1/volumes", fresh, null).statusCode());
        assertTrue(call(s, "GET", "/v1/tokens", admin, null).body().contains(created.get("id").asText()));
        assertFalse(call(s, "GET", "/v1/tokens", admin, null).body().contains(fresh.value()), "secrets are never listed");
        assertEquals(204, call(s, "DELETE", "/v1/tokens/" + created.get("id").asText(), admin, null).statusCode());
        problem(call(s, "GET", "/v1/volumes", fresh, null), 401);
        problem(call(s, "DELETE", "/v1/tokens/" + created.get("id").asText(), admin, null), 404);
        problem(call(s, "POST", "/v1/tokens", admin, "{\"role\":\"root\"}"), 400);
    }

    @Test
    void foreignHostHeadersAndCrossSiteOriginsAreRefused() throws Exception {
        ApiServer s = start();
        String auth = "Authorization: Bearer " + AdminTokenFile.read(dir.resolve("admin.token")).value() + "\r\n";
        String get = "GET /v1/volumes HTTP/1.1\r\nConnection: close\r\n" + auth;
        assertTrue(raw(s, get + "Host: 127.0.0.1:" + s.port() + "\r\n\r\n").startsWith("HTTP/1.1 200"));
        assertTrue(raw(s, get + "Host: localhost:" + s.port() + "\r\n\r\n").startsWith("HTTP/1.1 200"));
        String rebound = raw(s, get + "Host: attacker.example:" + s.port() + "\r\n\r\n");
        assertTrue(rebound.startsWith("HTTP/1.1 421"), rebound);
        assertTrue(rebound.contains("urn:scoria:problem:host-not-allowed"), rebound);
        assertTrue(raw(s, get + "\r\n").startsWith("HTTP/1.1 4"), "no Host header at all");

        String host = "Host: 127.0.0.1:" + s.port() + "\r\n";
        String crossSite = raw(s, get + host + "Origin: https://attacker.example\r\n\r\n");
        assertTrue(crossSite.startsWith("HTTP/1.1 403"), crossSite);
        assertTrue(crossSite.contains("origin-not-allowed"), crossSite);
        assertTrue(raw(s, get + host + "Origin: null\r\n\r\n").startsWith("HTTP/1.1 403"));
        assertTrue(raw(s, get + host + "Origin: http://127.0.0.1:" + s.port() + "\r\n\r\n").startsWith("HTTP/1.1 200"),
                "same origin");

        ApiServer configured = start(ApiServerConfig.of("127.0.0.1", 0, dir.resolve("other"))
                .withAllowed(List.of("storage.example"), List.of("https://console.example")), new InMemoryVolumeService());
        String auth2 = "Authorization: Bearer " + AdminTokenFile.read(dir.resolve("other/admin.token")).value() + "\r\n";
        String get2 = "GET /v1/volumes HTTP/1.1\r\nConnection: close\r\n" + auth2;
        assertTrue(raw(configured, get2 + "Host: storage.example:8080\r\nOrigin: https://console.example\r\n\r\n")
                .startsWith("HTTP/1.1 200"));
    }

    @Test
    void aMutatingCallWithANonJsonBodyIs415() throws Exception {
        ApiServer s = start();
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        for (String type : new String[]{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/volumes"))
                    .header("Authorization", "Bearer " + admin.value()).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"v\",\"size\":\"1MiB\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            problem(r, 415);
        }
        HttpResponse<String> untyped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/volumes"))
                .header("Authorization", "Bearer " + admin.value())
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"v\",\"size\":\"1MiB\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        problem(untyped, 415);
        assertEquals(201, call(s, "POST", "/v1/volumes", admin, "{\"name\":\"v\",\"size\":\"1MiB\"}").statusCode());
        assertEquals(200, call(s, "POST", "/v1/volumes/v/template", admin, null).statusCode(), "no body, no type needed");
    }

    @Test
    void aBodyAboveTheLimitIs413WhetherDeclaredOrStreamed() throws Exception {
        ApiServer s = start();
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        String declared = raw(s, "POST /v1/volumes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Authorization: Bearer " + admin.value() + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1073741824\r\n\r\n{");
        assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
        assertTrue(declared.contains("body-too-large"), declared);
        byte[] big = new byte[LIMIT * 4];
        java.util.Arrays.fill(big, (byte) ' ');
        HttpResponse<String> streamed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/volumes"))
                .header("Authorization", "Bearer " + admin.value()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofString());
        problem(streamed, 413);
    }

    @Test
    void errorsAreProblemDetailsWithoutInternals() throws Exception {
        ApiServer s = start();
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        JsonNode missing = problem(call(s, "GET", "/v1/volumes/nope", admin, null), 404);
        assertTrue(missing.get("detail").asText().contains("nope"));
        problem(call(s, "POST", "/v1/volumes", admin, "{\"name\":\"a\",\"size\":\"1MiB\",\"colour\":1}"), 400);
        problem(call(s, "POST", "/v1/volumes", admin, "{\"name\":\"a\"}"), 400);
        problem(call(s, "PUT", "/v1/volumes", admin, "{}"), 405);
        problem(call(s, "GET", "/v2/anything", admin, null), 404);

        VolumeService broken = (VolumeService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{VolumeService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        return null;
                    }
                    throw new IllegalStateException("internal state at /srv/secret/path");
                });
        ApiServer failing = start(ApiServerConfig.of("127.0.0.1", 0, dir.resolve("broken")), broken);
        BearerToken admin2 = AdminTokenFile.read(dir.resolve("broken/admin.token"));
        HttpResponse<String> r = call(failing, "GET", "/v1/volumes", admin2, null);
        JsonNode p = problem(r, 500);
        assertTrue(p.get("detail").asText().contains("incident"), r.body());
        assertFalse(r.body().contains("/srv/secret/path"), r.body());
        assertFalse(r.body().contains("IllegalStateException"), r.body());
        assertFalse(r.body().contains("\tat "), r.body());
    }

    @Test
    void tokensNeverAppearInLogsOrToString() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        Level before = root.getLevel();
        root.setLevel(Level.DEBUG);
        try {
            ApiServer s = start();
            BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
            IssuedToken issued = s.tokens().create(Role.OPERATOR);
            call(s, "GET", "/v1/volumes", issued.token(), null);
            call(s, "GET", "/v1/volumes", BearerToken.of(admin.value() + "x"), null);
            ApiModel.CreatedToken created = new ApiModel.CreatedToken("id", Role.VIEWER, java.time.Instant.EPOCH,
                    "default", issued.token().value());
            for (String text : List.of(issued.toString(), issued.token().toString(), admin.toString(), created.toString())) {
                assertFalse(text.contains(issued.token().value()) || text.contains(admin.value()), text);
            }
            assertFalse(logs.list.isEmpty(), "the server logged something");
            for (ILoggingEvent e : logs.list) {
                assertFalse(e.getFormattedMessage().contains(admin.value()), e.getFormattedMessage());
                assertFalse(e.getFormattedMessage().contains(issued.token().value()), e.getFormattedMessage());
            }
        } finally {
            root.detachAppender(logs);
            root.setLevel(before);
        }
    }

    @Test
    void bindingBeyondLoopbackWithoutTlsWarns() {
        Logger logger = (Logger) LoggerFactory.getLogger(ApiServer.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            start();
            assertTrue(logs.list.stream().noneMatch(e -> e.getLevel() == Level.WARN), "loopback: no warning");
            start(ApiServerConfig.of("0.0.0.0", 0, dir.resolve("wide")), new InMemoryVolumeService());
            assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
                    && e.getFormattedMessage().contains("without TLS")), "bound to every address without TLS");
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void tlsServesHttpsWithThePemCertificateAndKey() throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.generate(dir);
        ApiServer s = start(ApiServerConfig.of("127.0.0.1", 0, dir.resolve("tls"))
                .withTls(new ApiServerConfig.Tls(cert.certificate(), cert.privateKey())), new InMemoryVolumeService());
        BearerToken admin = AdminTokenFile.read(dir.resolve("tls/admin.token"));
        HttpClient trusting = HttpClient.newBuilder().sslContext(ApiTls.trusting(cert.certificate())).build();
        HttpResponse<String> r = trusting.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + s.port() + "/v1/volumes"))
                .header("Authorization", "Bearer " + admin.value()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("[ ]", r.body().strip());
        assertThrows(SSLHandshakeException.class, () -> http.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + s.port() + "/v1/health")).build(), HttpResponse.BodyHandlers.ofString()),
                "a client that does not trust the certificate");
        assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + s.port() + "/v1/health")).timeout(java.time.Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()), "plain HTTP on the TLS port");

        Path notAKey = Files.writeString(dir.resolve("bad.key"), "not a key");
        assertThrows(IllegalArgumentException.class, () -> ApiTls.server(new ApiServerConfig.Tls(cert.certificate(), notAKey)));
    }
}
