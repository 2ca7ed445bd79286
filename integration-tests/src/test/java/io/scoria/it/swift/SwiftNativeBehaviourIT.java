package io.scoria.it.swift;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.swift.SwiftObjectStore;
import io.scoria.backend.swift.SwiftStoreConfig;
import io.scoria.it.harness.SwiftAllInOne;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Swift-specific behaviour of the native backend against a real Swift all-in-one, beyond the contract. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SwiftNativeBehaviourIT {
    private SwiftAllInOne swift;
    private SwiftObjectStore store;

    @BeforeAll
    void start() throws Exception {
        swift = SwiftAllInOne.start();
        store = new SwiftObjectStore(SwiftStoreConfig.tempAuth(swift.authUrl(), SwiftAllInOne.USER, SwiftAllInOne.KEY));
    }

    @AfterAll
    void stop() {
        if (store != null) {
            store.close();
        }
        if (swift != null) {
            swift.close();
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void wrongKeyIsReportedAsWrongCredentialsNamingTheEndpoint() {
        try (SwiftObjectStore wrong = new SwiftObjectStore(SwiftStoreConfig.tempAuth(swift.authUrl(),
                SwiftAllInOne.USER, "not-the-key"))) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> wrong.listNamespaces());
            assertTrue(e.getMessage().contains("wrong credentials"), e.getMessage());
            assertTrue(e.getMessage().contains(swift.authUrl().toString()), e.getMessage());
        }
    }

    @Test
    void storageUrlIsTheTempAuthAccount() {
        assertEquals(swift.proxyUrl() + "/v1/AUTH_test", store.storageUrl());
    }

    @Test
    void keysWithReservedAndUnicodeCharactersRoundTripAndList() {
        assertTrue(store.createNamespace("special-keys"));
        try {
            List<String> keys = List.of("a b/c+d", "q?x=1&y=2", "hash#frag", "pct%20raw", "\u00e9t\u00e9/\u4e2d\u6587");
            byte i = 0;
            for (String key : keys) {
                store.put("special-keys", key, ByteBuffer.wrap(new byte[] {i++}));
            }
            i = 0;
            for (String key : keys) {
                assertArrayEquals(new byte[] {i++}, bytes(store.get("special-keys", key)), key);
            }
            assertEquals(keys.stream().sorted().toList(),
                    store.listAll("special-keys", "").stream().map(ObjectInfo::key).toList());
            assertEquals(List.of("a b/c+d"),
                    store.listAll("special-keys", "a b/").stream().map(ObjectInfo::key).toList());
        } finally {
            store.deleteNamespace("special-keys");
        }
    }

    @Test
    void deleteNamespaceRemovesTheContainerFromSwift() throws Exception {
        assertTrue(store.createNamespace("gone-soon"));
        for (int k = 0; k < 30; k++) {
            store.put("gone-soon", "o/" + k, ByteBuffer.wrap(new byte[k]));
        }
        assertTrue(store.deleteNamespace("gone-soon"));
        assertFalse(store.namespaceExists("gone-soon"));
        assertThrows(NotFoundException.class, () -> store.stat("gone-soon", "o/1"));
        // Check with a raw request too: the container is really gone, not hidden by our client.
        HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        java.net.URI.create(store.storageUrl() + "/gone-soon")).timeout(Duration.ofSeconds(10))
                .header("X-Auth-Token", rawToken()).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(404, r.statusCode());
    }

    @Test
    void objectsOverTheSizeLimitAreRefusedBeforeAnyUpload() throws Exception {
        assertEquals(5L << 30, store.capabilities().maxObjectSize());
        java.nio.file.Path sparse = java.nio.file.Files.createTempFile("swift-too-big", ".bin");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
            f.setLength((5L << 30) + 1); // sparse: no disk space used
        }
        assertTrue(store.createNamespace("too-big"));
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.put("too-big", "huge", sparse));
            assertTrue(e.getMessage().contains("'huge'") && e.getMessage().contains("limit"), e.getMessage());
            assertEquals(0, store.listAll("too-big", "").size(), "nothing reached Swift");
        } finally {
            store.deleteNamespace("too-big");
            java.nio.file.Files.deleteIfExists(sparse);
        }
    }

    private String rawToken() throws Exception {
        HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(swift.authUrl())
                        .header("X-Auth-User", SwiftAllInOne.USER).header("X-Auth-Key", SwiftAllInOne.KEY).build(),
                HttpResponse.BodyHandlers.discarding());
        return r.headers().firstValue("X-Auth-Token").orElseThrow();
    }
}
