package io.scoria.accelerator.volume;

import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class VolumeBasicsTest {
    @TempDir
    Path dir;
    InMemoryObjectStore mem;
    FaultInjectingStore store;
    LocalVolumeService svc;

    static EngineConfig config(Path dir) {
        return EngineConfig.defaults(dir).withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20).withScosPerTlog(2)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
    }

    @BeforeEach
    void setUp() {
        mem = new InMemoryObjectStore();
        store = new FaultInjectingStore(mem);
        svc = new LocalVolumeService(store, config(dir));
    }

    @AfterEach
    void tearDown() {
        svc.close();
    }

    static byte[] read(Volume v, long off, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        v.read(off, b);
        assertEquals(len, b.position());
        return b.array();
    }

    static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @Test
    void writeReadUnalignedZeroAndTrim() {
        svc.create("vol1", new VolumeSpec(16 << 20, 4096, 1 << 20));
        Volume v = svc.open("vol1");
        Random r = new Random(3);
        byte[] a = random(r, 10000);
        v.write(1234, ByteBuffer.wrap(a), false);
        assertArrayEquals(a, read(v, 1234, a.length));
        assertArrayEquals(new byte[1234], read(v, 0, 1234));
        v.trim(4096, 4096);
        byte[] expect = new byte[20000];
        System.arraycopy(a, 0, expect, 1234, a.length);
        Arrays.fill(expect, 4096, 8192, (byte) 0);
        assertArrayEquals(expect, read(v, 0, 20000));
        v.writeZeroes(100, 2000, true);
        Arrays.fill(expect, 100, 2100, (byte) 0);
        assertArrayEquals(expect, read(v, 0, 20000));
        byte[] big = random(r, 3 << 20);
        v.write(5 << 20, ByteBuffer.wrap(big), true);
        assertArrayEquals(big, read(v, 5 << 20, big.length));
    }

    @Test
    void snapshotRollbackAndRestart() {
        svc.create("vol1", new VolumeSpec(8 << 20, 4096, 1 << 20));
        Volume v = svc.open("vol1");
        Random r = new Random(4);
        byte[] a = random(r, 64 << 10);
        byte[] b = random(r, 64 << 10);
        v.write(0, ByteBuffer.wrap(a), false);
        v.snapshot("s1");
        v.write(0, ByteBuffer.wrap(b), false);
        v.write(1 << 20, ByteBuffer.wrap(b), false);
        assertArrayEquals(b, read(v, 0, b.length));
        v.rollback("s1");
        assertArrayEquals(a, read(v, 0, a.length));
        assertArrayEquals(new byte[b.length], read(v, 1 << 20, b.length));
        assertThrows(VolumeNotFoundException.class, () -> v.rollback("nope"));
        v.write(2 << 20, ByteBuffer.wrap(b), false);
        assertTrue(svc.awaitUploads(Duration.ofSeconds(10)));
        svc.close();
        // restart (a) from local flash
        svc = new LocalVolumeService(store, config(dir));
        Volume v2 = svc.open("vol1");
        assertArrayEquals(a, read(v2, 0, a.length));
        assertArrayEquals(b, read(v2, 2 << 20, b.length));
        assertEquals(1, v2.listSnapshots().size());
        svc.close();
        // rebuild (b) from the backend alone
        svc = new LocalVolumeService(store, config(dir.resolve("other-node")));
        long getsBefore = store.metrics().gets();
        Volume v3 = svc.open("vol1");
        assertArrayEquals(a, read(v3, 0, a.length));
        assertArrayEquals(b, read(v3, 2 << 20, b.length));
        assertTrue(store.metrics().gets() > getsBefore);
    }

    @Test
    void templatesAndClones() {
        svc.create("gold", new VolumeSpec(4 << 20, 4096, 1 << 20));
        Volume g = svc.open("gold");
        Random r = new Random(5);
        byte[] a = random(r, 1 << 20);
        g.write(0, ByteBuffer.wrap(a), false);
        svc.makeTemplate("gold");
        assertTrue(g.isReadOnly());
        assertThrows(ReadOnlyVolumeException.class, () -> g.write(0, ByteBuffer.wrap(a), false));
        svc.clone("gold", null, "cl1");
        svc.clone("gold", null, "cl2");
        Volume c1 = svc.open("cl1");
        Volume c2 = svc.open("cl2");
        assertArrayEquals(a, read(c1, 0, a.length));
        byte[] w = random(r, 8192);
        c1.write(4096, ByteBuffer.wrap(w), false);
        assertArrayEquals(w, read(c1, 4096, w.length));
        assertArrayEquals(Arrays.copyOfRange(a, 4096, 4096 + 8192), read(c2, 4096, 8192));
        assertArrayEquals(Arrays.copyOfRange(a, 4096, 4096 + 8192), read(g, 4096, 8192));
        VolumeConflictException e = assertThrows(VolumeConflictException.class, () -> svc.delete("gold"));
        assertTrue(e.getMessage().contains("cl1") && e.getMessage().contains("cl2"), e.getMessage());
        svc.resetToParent("cl1");
        assertArrayEquals(a, read(c1, 0, a.length));
        svc.delete("cl1");
        svc.delete("cl2");
        svc.delete("gold");
        assertTrue(svc.list().isEmpty());
    }

    @Test
    void sixteenTebibyteVolumeOpensWithTheSameMapAsFourGibibytes() throws Exception {
        svc.create("small", VolumeSpec.ofSize(4L << 30));
        svc.create("huge", VolumeSpec.ofSize(16L << 40));
        Volume small = svc.open("small");
        Volume huge = svc.open("huge");
        // the map is off-heap; its initial size stops growing with the volume at 4 GiB (1 Mi clusters) and
        // then grows only with written clusters
        long smallMap = java.nio.file.Files.size(dir.resolve("volumes/small/" + io.scoria.accelerator.metadata.LbaMap.FILE_NAME));
        long hugeMap = java.nio.file.Files.size(dir.resolve("volumes/huge/" + io.scoria.accelerator.metadata.LbaMap.FILE_NAME));
        assertEquals(smallMap, hugeMap);
        byte[] a = random(new Random(9), 4096);
        huge.write((16L << 40) - 4096, ByteBuffer.wrap(a), true);
        assertArrayEquals(a, read(huge, (16L << 40) - 4096, 4096));
        assertArrayEquals(new byte[4096], read(huge, 8L << 40, 4096));
        small.write(0, ByteBuffer.wrap(a), false);
        assertArrayEquals(a, read(small, 0, 4096));
    }
}
