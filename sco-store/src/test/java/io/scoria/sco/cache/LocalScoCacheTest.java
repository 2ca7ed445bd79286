package io.scoria.sco.cache;

import io.scoria.sco.ClusterLocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

class LocalScoCacheTest {
    @TempDir
    Path dir;

    private static long sco(int n) {
        return ClusterLocation.of(n, 0, 0, 0);
    }

    private static void writeSco(LocalScoCache cache, int n, int clusters) throws Exception {
        cache.reserve(clusters * 4096L);
        try (OpenSco s = OpenSco.create(cache.file("ns1", sco(n)), sco(n), 4096, clusters)) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            for (int i = 0; i < clusters; i++) {
                b.clear();
                b.putInt(0, n * 1000 + i);
                s.append(b);
            }
            int crc = s.seal();
            assertEquals(crc, OpenSco.checksum(ByteBuffer.wrap(Files.readAllBytes(s.path()))));
            cache.sealed("ns1", sco(n), clusters * 4096L, s.byteSize());
        }
    }

    @Test
    void reserveWaitsForUploadsInsteadOfFailing() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 3 * 4096 * 4);
        writeSco(cache, 1, 4);
        writeSco(cache, 2, 4);
        writeSco(cache, 3, 4);
        CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
            try {
                cache.reserve(4 * 4096);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThrows(TimeoutException.class, () -> blocked.get(300, TimeUnit.MILLISECONDS));
        assertTrue(Files.exists(cache.file("ns1", sco(1))));
        cache.uploaded("ns1", sco(2));
        blocked.get(5, TimeUnit.SECONDS);
        // the uploaded SCO was evicted (the cache's file thread moves its file to the spares first, then
        // deletes its marker), the others were kept
        Path marker = cache.file("ns1", sco(2)).resolveSibling(cache.file("ns1", sco(2)).getFileName() + ".uploaded");
        for (int i = 0; i < 500 && (Files.exists(cache.file("ns1", sco(2))) || Files.exists(marker)); i++) {
            Thread.sleep(10);
        }
        assertFalse(Files.exists(cache.file("ns1", sco(2))));
        assertFalse(Files.exists(marker));
        assertTrue(Files.exists(cache.file("ns1", sco(1))));
        assertTrue(Files.exists(cache.file("ns1", sco(3))));
        cache.close();
    }

    @Test
    void evictedFilesAreRecycledForNewScosAndCutAtTheSeal() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 2 * 4096 * 4);
        writeSco(cache, 1, 4);
        writeSco(cache, 2, 4);
        cache.uploaded("ns1", sco(1));
        cache.reserve(4 * 4096); // evicts SCO 1: its file becomes a spare
        Path marker = cache.file("ns1", sco(1)).resolveSibling("00000001.00.sco.uploaded");
        // the cache's one file thread runs tasks in order: once this preparation is done, so is the recycling
        Path f = cache.prepare("ns2", sco(7)).get(5, TimeUnit.SECONDS);
        assertFalse(Files.exists(cache.file("ns1", sco(1))));
        assertFalse(Files.exists(marker));
        assertEquals(cache.file("ns2", sco(7)), f, "a new namespace directory is created for the recycled file");
        // the recycled file still holds SCO 1's bytes: the page-cache pages and blocks are reused
        assertEquals(4 * 4096, Files.size(f));
        assertEquals(1000, ByteBuffer.wrap(Files.readAllBytes(f)).getInt(0));
        try (OpenSco s = OpenSco.openPrepared(f, sco(7), 4096, 4)) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            b.putInt(0, 7007);
            s.append(b);
            int crc = s.seal();
            byte[] content = Files.readAllBytes(f);
            assertEquals(4096, content.length, "the seal cuts the older SCO's bytes off");
            assertEquals(7007, ByteBuffer.wrap(content).getInt(0));
            assertEquals(crc, OpenSco.checksum(ByteBuffer.wrap(content)));
        }
        // with no spare left a new, empty file is created
        Path g = cache.prepare("ns2", sco(8)).get(5, TimeUnit.SECONDS);
        assertEquals(0, Files.size(g));
        cache.close();
        // spares left by a crash are deleted when the cache opens
        Files.write(dir.resolve(".spares").resolve("9.spare"), new byte[4096]);
        new LocalScoCache(dir, 4096 * 4).close();
        try (var left = Files.list(dir.resolve(".spares"))) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void droppingANamespaceDeletesTheSparesThatWereItsScos() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 2 * 4096 * 4);
        writeSco(cache, 1, 4);
        writeSco(cache, 2, 4);
        cache.uploaded("ns1", sco(1));
        cache.reserve(4 * 4096); // evicts SCO 1 of ns1: its file becomes a spare holding its bytes
        cache.dropNamespace("ns1"); // runs after the recycling on the file thread, and waits for it
        try (var left = Files.list(dir.resolve(".spares"))) {
            assertEquals(0, left.count(), "the deleted volume's evicted SCO file is not kept for another volume");
        }
        Path f = cache.prepare("ns2", sco(7)).get(5, TimeUnit.SECONDS);
        assertEquals(0, Files.size(f), "a new SCO of another volume gets a new, empty file");
        cache.close();
    }

    @Test
    void uploadedStateSurvivesRestart() throws Exception {
        LocalScoCache cache = new LocalScoCache(dir, 1 << 20);
        writeSco(cache, 1, 2);
        writeSco(cache, 2, 2);
        cache.uploaded("ns1", sco(1));
        LocalScoCache again = new LocalScoCache(dir, 1 << 20);
        assertTrue(again.isUploaded("ns1", sco(1)));
        assertFalse(again.isUploaded("ns1", sco(2)));
        assertEquals(2 * 4096, again.pinnedBytes());
        assertEquals(4 * 4096, again.usedBytes());
        again.dropNamespace("ns1");
        assertEquals(0, again.usedBytes());
        assertFalse(Files.exists(dir.resolve("ns1")));
    }

    @Test
    void recoverKeepsOnlyReferencedClustersAndRecomputesCrc() throws Exception {
        Path f = dir.resolve("x.sco");
        int expected;
        try (OpenSco s = OpenSco.create(f, sco(5), 4096, 8)) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            for (int i = 0; i < 3; i++) {
                b.clear();
                b.put(0, (byte) (i + 1));
                s.append(b);
            }
            Files.write(dir.resolve("ref"), Files.readAllBytes(f));
            expected = OpenSco.checksum(ByteBuffer.wrap(java.util.Arrays.copyOf(Files.readAllBytes(f), 2 * 4096)));
        }
        try (OpenSco r = OpenSco.recover(f, sco(5), 4096, 8, 2)) {
            assertEquals(2, r.clusters());
            assertEquals(expected, r.seal());
        }
        assertEquals(2 * 4096, Files.size(f));
    }

    @Test
    void badArgumentsAreRefused() {
        LocalScoCache cache = new LocalScoCache(dir, 4096);
        assertThrows(IllegalArgumentException.class, () -> cache.reserve(8192));
        assertThrows(IllegalArgumentException.class, () -> new LocalScoCache(dir, 0));
        assertThrows(IllegalArgumentException.class, () -> ClusterLocation.of(0, 0, 0, 0));
    }

    @Test
    void scoIdOfParsesOnlyScoFileNames() {
        LocalScoCache cache = new LocalScoCache(dir, 1L << 20);
        assertEquals(sco(7), cache.scoIdOf(cache.file("ns", sco(7)).getFileName().toString()));
        long v2 = ClusterLocation.of(7, 2, 0, 0);
        assertEquals(v2, cache.scoIdOf(cache.file("ns", v2).getFileName().toString()));
        assertEquals("0000002a.ff.sco", cache.file("ns", ClusterLocation.of(42, 255, 0, 0)).getFileName().toString());
        assertEquals("ffffffff.00.sco", cache.file("ns", ClusterLocation.of(ClusterLocation.MAX_SCO_NUMBER, 0, 0, 0))
                .getFileName().toString());
        assertEquals(-1, cache.scoIdOf("0000000z.00.sco"));
        assertEquals(-1, cache.scoIdOf("00000007.00.sco.uploaded"));
        assertEquals(-1, cache.scoIdOf("00000000.00.sco"), "SCO numbers start at 1");
        assertEquals(-1, cache.scoIdOf("tmp-1234.sco"));
        cache.close();
    }
}
