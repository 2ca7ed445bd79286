package io.scoria.backend;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link ObjectStore} must have. Subclass once per implementation and
 * return a store from {@link #openStore()}; each test gets a fresh namespace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ObjectStoreContractTest {
    private static final int MIB = 1 << 20;

    protected ObjectStore store;
    protected String ns;

    @TempDir
    Path tmp;

    /** Opens the store under test; called once per test class. */
    protected abstract ObjectStore openStore() throws Exception;

    /** Called once after all tests, after the store is closed (stop servers here). */
    protected void afterStore() throws Exception {
    }

    @BeforeAll
    void openOnce() throws Exception {
        store = openStore();
    }

    @AfterAll
    void closeOnce() throws Exception {
        if (store != null) {
            store.close();
        }
        afterStore();
    }

    @BeforeEach
    void freshNamespace() {
        ns = "ct-" + UUID.randomUUID().toString().substring(0, 13);
        assertTrue(store.createNamespace(ns));
    }

    @AfterEach
    void dropNamespace() {
        store.deleteNamespace(ns);
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 4096, 4 * MIB, 64 * MIB})
    void roundTripFromBuffer(int size) {
        byte[] data = random(size, size);
        ByteBuffer src = ByteBuffer.wrap(data);
        store.put(ns, "obj/" + size, src);
        assertEquals(0, src.position(), "put must not move the caller's position");
        assertEquals(size, src.limit(), "put must not move the caller's limit");
        assertArrayEquals(data, bytes(store.get(ns, "obj/" + size)));
        assertEquals(size, store.stat(ns, "obj/" + size).size());
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 4096, 4 * MIB + 3, 20 * MIB + 1})
    void roundTripFromFileAndDirectBuffer(int size) throws Exception {
        byte[] data = random(size, 7 + size);
        Path file = tmp.resolve("f" + size);
        Files.write(file, data);
        store.put(ns, "file-" + size, file);
        assertArrayEquals(data, bytes(store.get(ns, "file-" + size)));

        ByteBuffer direct = ByteBuffer.allocateDirect(size);
        direct.put(data).flip();
        store.put(ns, "direct-" + size, direct);
        ByteBuffer back = ByteBuffer.allocateDirect(size);
        store.read(ns, "direct-" + size, 0, back);
        back.flip();
        assertArrayEquals(data, bytes(back));
    }

    @Test
    void rangedReadsAtEdges() {
        int size = 3 * 4096 + 17;
        byte[] data = random(size, 42);
        store.put(ns, "r", ByteBuffer.wrap(data));

        assertArrayEquals(slice(data, 0, 1), bytes(store.get(ns, "r", 0, 1)));
        assertArrayEquals(slice(data, size - 1, 1), bytes(store.get(ns, "r", size - 1, 1)));
        assertArrayEquals(data, bytes(store.get(ns, "r", 0, size)));
        assertArrayEquals(slice(data, 4095, 4098), bytes(store.get(ns, "r", 4095, 4098)));
        assertEquals(0, store.get(ns, "r", size, 0).remaining());

        ByteBuffer dst = ByteBuffer.allocate(100);
        dst.position(10);
        dst.limit(30);
        store.read(ns, "r", 4096, dst);
        assertEquals(30, dst.position(), "read advances dst by the bytes read");

        assertThrows(IllegalArgumentException.class, () -> store.get(ns, "r", size - 10, 11));
        assertThrows(IllegalArgumentException.class, () -> store.get(ns, "r", size + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> store.get(ns, "r", -1, 1));
        assertThrows(IllegalArgumentException.class, () -> store.get(ns, "r", 0, -1));
    }

    private static byte[] slice(byte[] data, int offset, int length) {
        byte[] out = new byte[length];
        System.arraycopy(data, offset, out, 0, length);
        return out;
    }

    @Test
    void missingObjectsAndNamespaces() {
        assertThrows(NotFoundException.class, () -> store.get(ns, "nope"));
        assertThrows(NotFoundException.class, () -> store.get(ns, "nope", 0, 1));
        assertThrows(NotFoundException.class, () -> store.stat(ns, "nope"));
        assertFalse(store.exists(ns, "nope"));
        store.delete(ns, "nope");

        String missing = "ct-missing-" + UUID.randomUUID().toString().substring(0, 8);
        assertFalse(store.namespaceExists(missing));
        assertThrows(NotFoundException.class, () -> store.put(missing, "k", ByteBuffer.wrap(new byte[1])));
        assertThrows(NotFoundException.class, () -> store.get(missing, "k"));
        assertThrows(NotFoundException.class, () -> store.list(missing, "", null, 10));
        assertFalse(store.namespaceExists(missing), "a failed put must not create the namespace");
        assertFalse(store.deleteNamespace(missing));
    }

    @Test
    void overwriteReplacesWholeObject() {
        store.put(ns, "o", ByteBuffer.wrap(random(10_000, 1)));
        byte[] small = random(10, 2);
        store.put(ns, "o", ByteBuffer.wrap(small));
        assertArrayEquals(small, bytes(store.get(ns, "o")));
        byte[] big = random(20_000, 3);
        store.put(ns, "o", ByteBuffer.wrap(big));
        assertArrayEquals(big, bytes(store.get(ns, "o")));
        assertEquals(1, store.listAll(ns, "").size());
    }

    @Test
    void deleteRemovesObject() {
        store.put(ns, "d", ByteBuffer.wrap(random(5, 5)));
        assertTrue(store.exists(ns, "d"));
        store.delete(ns, "d");
        assertFalse(store.exists(ns, "d"));
        assertThrows(NotFoundException.class, () -> store.get(ns, "d"));
    }

    @Test
    void listingPagesInKeyOrderWithPrefix() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String key = String.format("sco/%05d", 24 - i);
            store.put(ns, key, ByteBuffer.wrap(random(i, i)));
            expected.add(key);
        }
        store.put(ns, "tlog/00001", ByteBuffer.wrap(new byte[3]));
        store.put(ns, "a-first", ByteBuffer.wrap(new byte[1]));
        expected.sort(null);

        List<String> seen = new ArrayList<>();
        int pages = 0;
        String after = null;
        do {
            ObjectPage page = store.list(ns, "sco/", after, 10);
            assertTrue(page.objects().size() <= 10);
            page.objects().forEach(o -> seen.add(o.key()));
            after = page.nextAfter();
            pages++;
        } while (after != null);
        assertEquals(expected, seen);
        assertTrue(pages >= 3, "25 objects in pages of 10 need at least 3 pages, saw " + pages);

        ObjectPage tlogs = store.list(ns, "tlog/", null, 10);
        assertEquals(List.of("tlog/00001"), tlogs.objects().stream().map(ObjectInfo::key).toList());
        assertEquals(3, tlogs.objects().get(0).size());
        assertNull(tlogs.nextAfter());
        assertEquals(27, store.listAll(ns, null).size());
        assertEquals(0, store.list(ns, "zzz", null, 10).objects().size());
    }

    @Test
    void concurrentPutsAndGetsFrom16Threads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 8; i++) {
                        String key = "c/" + thread + "/" + i;
                        byte[] data = random(4096 + thread * 100 + i, thread * 1000L + i);
                        store.put(ns, key, ByteBuffer.wrap(data));
                        assertArrayEquals(data, bytes(store.get(ns, key)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(128, store.listAll(ns, "c/").size());
    }

    @Test
    void asyncVariantsUseTheGivenExecutor() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            byte[] data = random(1000, 11);
            store.putAsync(ns, "async", ByteBuffer.wrap(data), pool).get();
            assertArrayEquals(data, bytes(store.getAsync(ns, "async", pool).get()));
            store.deleteAsync(ns, "async", pool).get();
            assertFalse(store.exists(ns, "async"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void putIfAbsentWhereSupported() {
        byte[] first = random(100, 1);
        if (!store.capabilities().conditionalPut()) {
            assertThrows(UnsupportedOperationException.class,
                    () -> store.putIfAbsent(ns, "once", ByteBuffer.wrap(first)));
            assertFalse(store.exists(ns, "once"));
            return;
        }
        store.putIfAbsent(ns, "once", ByteBuffer.wrap(first));
        assertThrows(PreconditionFailedException.class,
                () -> store.putIfAbsent(ns, "once", ByteBuffer.wrap(random(50, 2))));
        assertArrayEquals(first, bytes(store.get(ns, "once")));
    }

    @Test
    void namespaceLifecycle() {
        String other = "ct-life-" + UUID.randomUUID().toString().substring(0, 8);
        assertTrue(store.createNamespace(other));
        try {
            assertFalse(store.createNamespace(other));
            assertTrue(store.namespaceExists(other));
            assertTrue(store.listNamespaces().contains(other));
            store.put(other, "x/y", ByteBuffer.wrap(new byte[10]));
        } finally {
            assertTrue(store.deleteNamespace(other), "delete removes a namespace that still holds objects");
        }
        assertFalse(store.namespaceExists(other));
        assertFalse(store.listNamespaces().contains(other));
    }

    @Test
    void badNamesAreRefusedAndChangeNothing() {
        ByteBuffer one = ByteBuffer.wrap(new byte[1]);
        for (String key : new String[] {"", "../x", "a/../b", "/abs", "a//b", "a/./b", "ctl\u0001"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.put(ns, key, one),
                    "key '" + key + "'");
            assertTrue(e.getMessage().contains("key"), e.getMessage());
        }
        for (String bad : new String[] {"UPPER", "ab", "-lead", "has_underscore", "../etc"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.createNamespace(bad));
            assertTrue(e.getMessage().contains("namespace"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> store.put(ns, null, one));
        assertThrows(IllegalArgumentException.class, () -> store.put(ns, "k", (ByteBuffer) null));
        assertEquals(0, store.listAll(ns, "").size(), "nothing was stored by refused calls");
    }

    @Test
    void tooLongKeyIsRefused() {
        String key = "k".repeat(store.capabilities().maxKeyLength() + 1);
        assertThrows(IllegalArgumentException.class, () -> store.put(ns, key, ByteBuffer.wrap(new byte[1])));
        assertEquals(0, store.listAll(ns, "").size());
    }
}
