package io.scoria.backend.swift;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.PreconditionFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Auth, token refresh, retries and integrity checks of {@link SwiftObjectStore} against {@link FakeSwift}. */
class SwiftObjectStoreTest {
    private FakeSwift fake;

    @BeforeEach
    void startFake() throws Exception {
        fake = new FakeSwift();
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }

    private SwiftObjectStore keystone(String region) {
        return new SwiftObjectStore(SwiftStoreConfig.keystone(fake.keystoneUrl(), FakeSwift.USER, FakeSwift.PASSWORD,
                FakeSwift.PROJECT, FakeSwift.DOMAIN, region).withRetries(3, Duration.ofMillis(1)));
    }

    private SwiftObjectStore tempAuth(String key) {
        return new SwiftObjectStore(SwiftStoreConfig.tempAuth(fake.tempAuthUrl(), "test:tester", key)
                .withRetries(3, Duration.ofMillis(1)));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void keystoneSendsScopedPasswordAuthAndUsesThePublicEndpointOfTheRegion() {
        try (SwiftObjectStore store = keystone("RegionTwo")) {
            assertTrue(store.createNamespace("ks-one"));
            assertEquals(fake.baseUrl() + "/v1/AUTH_two", store.storageUrl());
            assertEquals("AUTH_two", fake.lastAccount);
            var auth = fake.lastKeystoneRequest.path("auth");
            assertEquals("[\"password\"]", auth.path("identity").path("methods").toString());
            assertEquals(FakeSwift.USER, auth.path("identity").path("password").path("user").path("name").asText());
            assertEquals(FakeSwift.PROJECT, auth.path("scope").path("project").path("name").asText());
            assertEquals(FakeSwift.DOMAIN, auth.path("scope").path("project").path("domain").path("name").asText());
        }
        try (SwiftObjectStore store = keystone(null)) {
            assertEquals(fake.baseUrl() + "/v1/AUTH_one", store.storageUrl(), "no region: first public endpoint");
        }
    }

    @Test
    void keystoneErrorsSayWhatIsWrong() {
        SwiftStoreConfig wrong = SwiftStoreConfig.keystone(fake.keystoneUrl(), FakeSwift.USER, "nope",
                FakeSwift.PROJECT, FakeSwift.DOMAIN, null);
        try (SwiftObjectStore store = new SwiftObjectStore(wrong)) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> store.namespaceExists("abc"));
            assertTrue(e.getMessage().contains("wrong credentials"), e.getMessage());
            assertTrue(e.getMessage().contains(fake.keystoneUrl() + "/auth/tokens"), e.getMessage());
            assertTrue(e.getMessage().contains("user '" + FakeSwift.USER + "'"), e.getMessage());
        }
        try (SwiftObjectStore store = keystone("RegionNine")) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> store.namespaceExists("abc"));
            assertTrue(e.getMessage().contains("no public object-store endpoint in region 'RegionNine'"), e.getMessage());
        }
    }

    @Test
    void tempAuthWrongKeyIsReportedAsWrongCredentials() {
        try (SwiftObjectStore store = tempAuth("bad")) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> store.createNamespace("abc"));
            assertTrue(e.getMessage().contains("wrong credentials"), e.getMessage());
            assertTrue(e.getMessage().contains("test:tester"), e.getMessage());
            assertEquals(1, fake.authCalls.get(), "a refused password is not retried");
        }
    }

    @Test
    void unreachableEndpointNamesItAfterRetrying() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        URI dead = URI.create("http://127.0.0.1:" + port + "/auth/v1.0");
        try (SwiftObjectStore store = new SwiftObjectStore(SwiftStoreConfig.tempAuth(dead, "a:b", "c")
                .withRetries(2, Duration.ofMillis(1)))) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> store.get("abc", "k"));
            assertTrue(e.getMessage().contains(dead.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
            assertTrue(e.getMessage().contains("3 attempt(s)"), e.getMessage());
        }
    }

    @Test
    void revokedTokenIsRenewedOnceThenTheCallSucceeds() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            store.createNamespace("abc");
            byte[] data = {1, 2, 3};
            store.put("abc", "k", ByteBuffer.wrap(data));
            assertEquals(1, fake.authCalls.get());
            fake.revokeTokens();
            assertArrayEquals(data, bytes(store.get("abc", "k")));
            assertEquals(2, fake.authCalls.get(), "exactly one re-authentication");
        }
    }

    @Test
    void retriesIdempotentCallsAfter5xxButGivesUpAfterTheLimit() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            store.createNamespace("abc");
            store.put("abc", "k", ByteBuffer.wrap(new byte[] {7}));
            fake.failNext(3, 503);
            assertArrayEquals(new byte[] {7}, bytes(store.get("abc", "k")), "3 failures fit in 3 retries");

            fake.failNext(4, 503);
            int before = fake.storageCalls.get();
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> store.stat("abc", "k"));
            assertEquals(4, fake.storageCalls.get() - before, "1 attempt + 3 retries");
            assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("abc/k"), e.getMessage());
        }
    }

    @Test
    void putIfAbsentIsNotRetriedAfter5xxBecauseItIsNotIdempotent() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            store.createNamespace("abc");
            fake.failNext(1, 503);
            int before = fake.storageCalls.get();
            assertThrows(BackendUnavailableException.class,
                    () -> store.putIfAbsent("abc", "once", ByteBuffer.wrap(new byte[] {1})));
            assertEquals(1, fake.storageCalls.get() - before);
            store.putIfAbsent("abc", "once", ByteBuffer.wrap(new byte[] {1}));
            PreconditionFailedException e = assertThrows(PreconditionFailedException.class,
                    () -> store.putIfAbsent("abc", "once", ByteBuffer.wrap(new byte[] {2})));
            assertTrue(e.getMessage().contains("'once'") && e.getMessage().contains("'abc'"), e.getMessage());
        }
    }

    @Test
    void aCorruptedBodyIsNeverHandedOut() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            store.createNamespace("abc");
            store.put("abc", "k", ByteBuffer.wrap(new byte[1000]));
            fake.corruptNextGet();
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> store.get("abc", "k"));
            assertTrue(e.getMessage().contains("abc/k") && e.getMessage().contains("MD5"), e.getMessage());
        }
    }

    @Test
    void directAndSlicedBuffersArriveByteExact() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            store.createNamespace("abc");
            byte[] data = new byte[(1 << 20) + 3];
            new Random(5).nextBytes(data);
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 10);
            direct.position(5);
            direct.put(data);
            direct.position(5).limit(5 + data.length);
            store.put("abc", "direct", direct);
            assertEquals(5, direct.position());
            assertArrayEquals(data, bytes(store.get("abc", "direct")));

            ByteBuffer readOnly = ByteBuffer.wrap(data, 100, 5000).asReadOnlyBuffer();
            store.put("abc", "ro", readOnly);
            byte[] expected = java.util.Arrays.copyOfRange(data, 100, 5100);
            assertArrayEquals(expected, bytes(store.get("abc", "ro")));
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, 4000, 5000),
                    bytes(store.get("abc", "ro", 4000, 1000)));
        }
    }

    @Test
    void pastTheEndRangeNamesTheRangeAndSize() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            store.createNamespace("abc");
            store.put("abc", "k", ByteBuffer.wrap(new byte[10]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.get("abc", "k", 8, 5));
            assertTrue(e.getMessage().contains("offset=8 length=5") && e.getMessage().contains("size 10"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> store.get("abc", "k", 10, 1));
            assertTrue(e.getMessage().contains("offset=10 length=1"), e.getMessage());
        }
    }

    @Test
    void missingNamespaceAndObjectAreTold() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            NotFoundException e = assertThrows(NotFoundException.class, () -> store.stat("nons", "k"));
            assertTrue(e.getMessage().contains("namespace 'nons' does not exist"), e.getMessage());
            store.createNamespace("nons");
            e = assertThrows(NotFoundException.class, () -> store.stat("nons", "k"));
            assertTrue(e.getMessage().contains("object 'k' not found"), e.getMessage());
        }
    }

    @Test
    void keysWithSpacesPlusAndUnicodeRoundTrip() {
        try (SwiftObjectStore store = tempAuth("testing")) {
            store.createNamespace("abc");
            String key = "dir/a b+c%d?e#f&g=h/\u00e9\u4e2d";
            store.put("abc", key, ByteBuffer.wrap(new byte[] {9}));
            assertArrayEquals(new byte[] {9}, bytes(store.get("abc", key)));
            assertEquals(key, store.list("abc", "dir/a b+", null, 10).objects().get(0).key());
        }
    }
}
