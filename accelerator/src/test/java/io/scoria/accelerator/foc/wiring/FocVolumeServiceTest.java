package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FOC wiring over the real engine and a real FOC server (in process): a router whose local
 * flash is lost is rebuilt from backend + FOC with every acknowledged write; removal after upload
 * never drops an entry the backend lacks; a dead FOC degrades without blocking writes.
 * "Abandoning" a service (never closing it) stands for a crash of its node.
 */
class FocVolumeServiceTest {
    private static final int CS = 4096;
    private static final long SIZE = 64L << 20;

    @TempDir
    Path tmp;
    private final InMemoryObjectStore mem = new InMemoryObjectStore();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private FocServer server;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private int startServer(int port) {
        server = new FocServer(new InetSocketAddress("127.0.0.1", port), tmp.resolve("foc-server"));
        toClose.add(server);
        return server.localAddress().getPort();
    }

    private FocVolumeService router(String dataDir, FaultInjectingStore store, int port, FocMode mode) {
        FocHooks hooks = new FocHooks();
        EngineConfig ec = EngineConfig.defaults(tmp.resolve(dataDir)).withScoCacheBytes(64L << 20)
                .withClusterCacheBytes(16L << 20).withScosPerTlog(2).withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
        return new FocVolumeService(new LocalVolumeService(store, ec, hooks), hooks, new FocWiringConfig("127.0.0.1:" + port, mode,
                Duration.ofMillis(300), Duration.ofSeconds(1), 256L << 20, tmp.resolve(dataDir).resolve("foc")), null);
    }

    private static ByteBuffer pattern(long lba, long version) {
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i += 8) {
            b.putLong(i, (lba * 0x9E3779B97F4A7C15L) ^ (version * 0xC2B2AE3D27D4EB4FL) ^ i);
        }
        return b;
    }

    /** Random 4 KiB writes, zero writes and trims over the first {@code lbas} clusters; returns the model. */
    private static long[] load(Volume v, Random rnd, int lbas, int ops, long[] model, long firstVersion) {
        long version = firstVersion;
        for (int i = 0; i < ops; i++) {
            long lba = rnd.nextInt(lbas);
            int kind = rnd.nextInt(20);
            if (kind == 0) {
                v.writeZeroes(lba * CS, CS, false);
                model[(int) lba] = 0;
            } else if (kind == 1) {
                v.trim(lba * CS, CS);
                model[(int) lba] = 0;
            } else {
                v.write(lba * CS, pattern(lba, version), kind == 2);
                model[(int) lba] = version++;
            }
        }
        return model;
    }

    private static void verify(Volume v, long[] model) {
        ByteBuffer got = ByteBuffer.allocate(CS);
        for (int lba = 0; lba < model.length; lba++) {
            got.clear();
            v.read((long) lba * CS, got);
            byte[] want = model[lba] == 0 ? new byte[CS] : pattern(lba, model[lba]).array();
            assertArrayEquals(want, got.array(), "lba " + lba + " (version " + model[lba] + ")");
        }
    }

    @Test
    void lostLocalFlashIsRebuiltFromBackendAndFoc() {
        int port = startServer(0);
        FaultInjectingStore store1 = new FaultInjectingStore(mem);
        FocVolumeService first = router("node1", store1, port, FocMode.SYNC);
        first.create("vol", new VolumeSpec(SIZE, CS, 1 << 20));
        FocVolume v1 = first.open("vol");
        Random rnd = new Random(42);
        long[] model = new long[2048];
        // part one reaches the backend (and lets the FOC drop its entries), part two does not
        load(v1, rnd, model.length, 3000, model, 1);
        assertTrue(((io.scoria.accelerator.volume.LocalVolume) v1.delegate()).awaitUploads(Duration.ofSeconds(30)));
        store1.down(true);
        load(v1, rnd, model.length, 1500, model, 10_000);
        // node1 is gone (never closed): node2 has an empty data directory, the same backend and FOC
        FocVolumeService second = router("node2", new FaultInjectingStore(mem), port, FocMode.SYNC);
        toClose.add(second);
        FocVolume v2 = second.open("vol");
        verify(v2, model);
        // v1 was fenced by the newer owner: its writes are refused
        assertThrows(RuntimeException.class, () -> v1.write(0, pattern(0, 99), false));
        // node2 keeps going, uploads, and is lost too: node3 still finds everything
        load(v2, rnd, model.length, 2000, model, 20_000);
        assertTrue(((io.scoria.accelerator.volume.LocalVolume) v2.delegate()).awaitUploads(Duration.ofSeconds(30)));
        load(v2, rnd, model.length, 500, model, 30_000);
        FocVolumeService third = router("node3", new FaultInjectingStore(mem), port, FocMode.SYNC);
        toClose.add(third);
        verify(third.open("vol"), model);
        assertEquals("OK", third.info("vol").orElseThrow().state());
    }

    @Test
    void engineWritesAreRefusedUntilTheFocServiceBindsTheVolume() {
        int port = startServer(0);
        FocHooks hooks = new FocHooks();
        Path dir = tmp.resolve("node");
        LocalVolumeService engine = new LocalVolumeService(new FaultInjectingStore(mem), EngineConfig.defaults(dir)
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20), hooks);
        FocVolumeService svc = new FocVolumeService(engine, hooks, new FocWiringConfig("127.0.0.1:" + port, FocMode.SYNC,
                Duration.ofMillis(300), Duration.ofSeconds(1), 256L << 20, dir.resolve("foc")), null);
        toClose.add(svc);
        svc.create("vol", new VolumeSpec(SIZE, CS, 1 << 20));
        io.scoria.accelerator.volume.LocalVolume unbound = engine.open("vol");
        io.scoria.accelerator.VolumeException e = assertThrows(io.scoria.accelerator.VolumeException.class,
                () -> unbound.write(0, pattern(0, 1), false));
        assertTrue(e.getMessage().contains("not bound"), e.getMessage());
        FocVolume bound = svc.open("vol");
        long[] model = new long[64];
        load(bound, new Random(3), model.length, 200, model, 1);
        verify(bound, model);
    }

    @Test
    void sameDataDirectoryRestartDoesNotReplayOverNewerLocalWrites() {
        int port = startServer(0);
        FaultInjectingStore store = new FaultInjectingStore(mem);
        FocVolumeService first = router("node", store, port, FocMode.ASYNC);
        first.create("vol", new VolumeSpec(SIZE, CS, 1 << 20));
        FocVolume v = first.open("vol");
        long[] model = new long[512];
        load(v, new Random(7), model.length, 1500, model, 1);
        v.flush();
        first.close();
        FocVolumeService again = router("node", store, port, FocMode.ASYNC);
        toClose.add(again);
        verify(again.open("vol"), model);
    }

    @Test
    void deadFocDegradesWithoutBlockingAndRecovers() throws Exception {
        int port = startServer(0);
        FocVolumeService svc = router("node", new FaultInjectingStore(mem), port, FocMode.SYNC);
        toClose.add(svc);
        svc.create("vol", new VolumeSpec(SIZE, CS, 1 << 20));
        FocVolume v = svc.open("vol");
        long[] model = new long[256];
        load(v, new Random(1), model.length, 200, model, 1);
        assertEquals("OK", svc.info("vol").orElseThrow().state());
        server.close();
        long t0 = System.nanoTime();
        load(v, new Random(2), model.length, 300, model, 1000);
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(seconds < 20, "writes took " + seconds + " s with the FOC down");
        assertEquals("DEGRADED", svc.info("vol").orElseThrow().state());
        assertEquals("DEGRADED", svc.list().get(0).state());
        startServer(port);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!svc.info("vol").orElseThrow().state().equals("OK") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals("OK", svc.info("vol").orElseThrow().state());
        verify(v, model);
    }

    /**
     * Issue 19: a volume deleted while its FOC was unreachable leaves its entries there; a later volume
     * of the same name (here on a node with a new data directory, so it replays from the FOC) must not
     * get them. The FOC knows volumes by name and unique id, so it never does.
     */
    @Test
    void aDeletedVolumesFocEntriesAreNeverReplayedIntoALaterVolumeOfTheSameName() {
        int port = startServer(0);
        FaultInjectingStore store = new FaultInjectingStore(mem);
        FocVolumeService first = router("node1", store, port, FocMode.SYNC);
        toClose.add(first);
        first.create("vol", new VolumeSpec(SIZE, CS, 1 << 20));
        FocVolume v = first.open("vol");
        store.down(true); // nothing reaches the backend: every write stays in the FOC
        for (long lba = 0; lba < 64; lba++) {
            v.write(lba * CS, pattern(lba, 7), false);
        }
        server.close(); // the FOC becomes unreachable: the delete cannot drop the entries
        store.down(false);
        first.delete("vol");
        startServer(port); // it comes back, still holding them
        FaultInjectingStore store2 = new FaultInjectingStore(mem);
        FocVolumeService second = router("node2", store2, port, FocMode.SYNC);
        second.create("vol", new VolumeSpec(SIZE, CS, 1 << 20));
        FocVolume fresh = second.open("vol");
        long[] model = new long[64];
        store2.down(true);
        for (long lba = 0; lba < 8; lba++) {
            fresh.write(lba * CS, pattern(lba, 9), false);
            model[(int) lba] = 9;
        }
        // node2 is lost (never closed); node3 has a new data directory, so it replays the FOC's entries
        FocVolumeService third = router("node3", new FaultInjectingStore(mem), port, FocMode.SYNC);
        toClose.add(third);
        verify(third.open("vol"), model);
    }

    @Test
    void badSettingsNameTheArgument() {
        Path d = tmp.resolve("x");
        var e = assertThrows(IllegalArgumentException.class, () -> new FocWiringConfig("nohost", FocMode.SYNC,
                Duration.ofSeconds(1), Duration.ofSeconds(1), 1L << 30, d));
        assertTrue(e.getMessage().contains("hostPort"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FocWiringConfig("h:1", FocMode.NONE,
                Duration.ofSeconds(1), Duration.ofSeconds(1), 1L << 30, d));
        assertTrue(e.getMessage().startsWith("mode"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FocWiringConfig("h:1", FocMode.SYNC,
                Duration.ZERO, Duration.ofSeconds(1), 1L << 30, d));
        assertTrue(e.getMessage().startsWith("connectTimeout"), e.getMessage());
        assertTrue(Arrays.asList(FocMode.values()).contains(FocMode.ASYNC));
    }
}
