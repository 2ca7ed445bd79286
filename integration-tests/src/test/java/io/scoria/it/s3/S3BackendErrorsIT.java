package io.scoria.it.s3;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.check.BackendCheck;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wrong credentials, dead endpoints, missing buckets and outages against a real s3proxy. */
class S3BackendErrorsIT {
    private static S3ProxyServer server;

    @BeforeAll
    static void start() throws Exception {
        server = S3ProxyServer.start("errors");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static S3ObjectStore store(String secret) {
        return new S3ObjectStore(S3StoreConfig.of(server.endpoint(), S3ProxyServer.ACCESS_KEY, secret).withMaxAttempts(2));
    }

    @Test
    void wrongCredentialsAreNamed() {
        try (S3ObjectStore s = store("wrong-secret")) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> s.createNamespace("bucket-a"));
            assertTrue(e.getMessage().contains("access denied"), e.getMessage());
            assertTrue(e.getMessage().contains(server.endpoint().toString()), e.getMessage());
        }
    }

    @Test
    void unreachableEndpointIsNamed() {
        URI dead = URI.create("http://127.0.0.1:" + ManagedProcess.freePort());
        try (S3ObjectStore s = new S3ObjectStore(S3StoreConfig.of(dead, "a", "b").withMaxAttempts(1))) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> s.listNamespaces());
            assertTrue(e.getMessage().contains("cannot reach endpoint"), e.getMessage());
            assertTrue(e.getMessage().contains(dead.toString()), e.getMessage());
        }
    }

    @Test
    void missingBucketIsNotFound() {
        try (S3ObjectStore s = store(S3ProxyServer.SECRET_KEY)) {
            NotFoundException e = assertThrows(NotFoundException.class, () -> s.get("no-such-bucket", "k"));
            assertTrue(e.getMessage().contains("no-such-bucket"), e.getMessage());
        }
    }

    @Test
    void backendCheckPassesAndReportsFailureInOneLine() {
        try (S3ObjectStore good = store(S3ProxyServer.SECRET_KEY); S3ObjectStore bad = store("nope")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertTrue(new BackendCheck(good, "scoria-check", 4 << 20).run(new PrintStream(out)).ok(),
                    out.toString(StandardCharsets.UTF_8));
            BackendCheck.Result r = new BackendCheck(bad, "scoria-check", 4096).run(new PrintStream(new ByteArrayOutputStream()));
            assertFalse(r.ok());
            assertTrue(r.message().contains("access denied") && r.message().lines().count() == 1, r.message());
        }
    }

    @Test
    void storeRecoversAfterServerRestart() throws Exception {
        try (S3ObjectStore s = store(S3ProxyServer.SECRET_KEY)) {
            s.createNamespace("outage");
            byte[] data = "survives a restart".getBytes(StandardCharsets.UTF_8);
            s.put("outage", "k", ByteBuffer.wrap(data));
            server.kill9();
            assertThrows(BackendUnavailableException.class, () -> s.get("outage", "k"));
            server.start();
            ByteBuffer back = s.get("outage", "k");
            byte[] got = new byte[back.remaining()];
            back.get(got);
            assertArrayEquals(data, got);
            s.deleteNamespace("outage");
        }
    }
}
