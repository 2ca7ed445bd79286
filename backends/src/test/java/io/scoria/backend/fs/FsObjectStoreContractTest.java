package io.scoria.backend.fs;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.ObjectStoreContractTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FsObjectStoreContractTest extends ObjectStoreContractTest {
    private Path root;

    @Override
    protected ObjectStore openStore() throws Exception {
        root = Files.createTempDirectory("scoria-fs-ct");
        return new FsObjectStore(new FsStoreConfig(root));
    }

    @Override
    protected void afterStore() throws Exception {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void keysNeverEscapeTheNamespaceDirectory() throws Exception {
        store.put(ns, "a/b/c", ByteBuffer.wrap(new byte[] {1}));
        try (Stream<Path> files = Files.list(root.resolve(ns))) {
            assertEquals(1, files.filter(Files::isRegularFile).count(), "a/b/c is one flat file");
        }
        assertFalse(Files.exists(root.resolve(ns).resolve("a")));
    }

    @Test
    void noTemporaryFilesRemainAfterPuts() throws Exception {
        for (int i = 0; i < 5; i++) {
            store.put(ns, "k" + i, ByteBuffer.wrap(new byte[100]));
        }
        try (Stream<Path> files = Files.list(root.resolve(ns))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("~")));
        }
    }

    @Test
    void largeObjectsAreWrittenPastThePageCacheAndReadBackExactly() throws Exception {
        FsObjectStore fs = (FsObjectStore) store;
        assertTrue(fs.writesDirect(), "the test directory's file system (" + root + ") should accept O_DIRECT");
        int[] sizes = {(int) DirectWriter.MIN_SIZE - 1, (int) DirectWriter.MIN_SIZE, (1 << 20) - 1, 1 << 20,
            (1 << 20) + 1, 3 * (1 << 20) + 4097};
        Path src = root.resolve("source-file");
        for (int size : sizes) {
            byte[] bytes = random(size, size);
            // a buffer whose content starts at a non-zero position and is not block-aligned
            ByteBuffer framed = ByteBuffer.allocate(size + 13);
            framed.position(7).put(bytes).flip().position(7);
            store.put(ns, "buf-" + size, framed);
            assertEquals(7, framed.position(), "put leaves the caller's buffer alone");
            Files.write(src, bytes);
            store.put(ns, "file-" + size, src);
            for (String key : new String[] {"buf-" + size, "file-" + size}) {
                ByteBuffer got = store.get(ns, key);
                assertEquals(size, got.remaining(), key);
                assertEquals(ByteBuffer.wrap(bytes), got, key + " reads back as written");
                assertEquals(size, store.stat(ns, key).size(), key);
                int off = size / 3;
                assertEquals(ByteBuffer.wrap(bytes, off, 5000), store.get(ns, key, off, 5000), key + " ranged");
            }
        }
        try (Stream<Path> files = Files.list(root.resolve(ns))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("~")), "no temporary files remain");
        }
    }

    @Test
    void keyCodecRoundTrips() {
        for (String key : new String[] {"sco/00001_v2", "ü/é 1%2F", "a.b-c_d", "~x"}) {
            assertEquals(key, KeyCodec.decode(KeyCodec.encode(key)));
            assertFalse(KeyCodec.encode(key).contains("/"));
            assertFalse(KeyCodec.encode(key).startsWith("~"));
        }
    }
}
