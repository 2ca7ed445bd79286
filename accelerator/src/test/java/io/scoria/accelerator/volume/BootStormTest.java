package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.dedup.CacheStats;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** 50 clones of a 64 MiB template each read it whole: only the first clone reaches the backend, about once per MiB. */
class BootStormTest {
    private static final int TEMPLATE = 64 << 20;

    @Test
    void fiftyClonesReadTheTemplateFromTheBackendOnce(@TempDir Path tmp) {
        FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());
        byte[] image = new byte[TEMPLATE];
        new Random(11).nextBytes(image);
        // node A writes the template and uploads it
        try (LocalVolumeService a = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("a"))
                .withScoCacheBytes(256L << 20).withClusterCacheBytes(8L << 20))) {
            a.create("gold", VolumeSpec.ofSize(TEMPLATE));
            Volume g = a.open("gold");
            for (int off = 0; off < TEMPLATE; off += 4 << 20) {
                g.write(off, ByteBuffer.wrap(image, off, 4 << 20), false);
            }
            a.makeTemplate("gold");
            a.closeVolume("gold");
            assertTrue(a.awaitUploads(Duration.ofSeconds(60)));
        }
        // node B holds nothing locally: clones read through its cluster cache
        try (LocalVolumeService b = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("b"))
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(96L << 20))) {
            b.open("gold");
            ByteBuffer buf = ByteBuffer.allocate(4 << 20);
            for (int i = 1; i <= 50; i++) {
                long before = store.metrics().gets();
                String name = "clone-" + i;
                b.clone("gold", null, name);
                Volume c = b.open(name);
                for (int off = 0; off < TEMPLATE; off += buf.capacity()) {
                    buf.clear();
                    c.read(off, buf);
                    if (!Arrays.equals(buf.array(), 0, buf.capacity(), image, off, off + buf.capacity())) {
                        fail("clone " + name + " differs from the template near byte " + off);
                    }
                }
                long gets = store.metrics().gets() - before;
                if (i == 1) {
                    // sequential cold reads are coalesced into about one ranged GET per MiB (BackendReadAhead)
                    assertTrue(gets >= TEMPLATE / (4 << 20) && gets <= TEMPLATE / (1 << 20) + 16,
                            "first clone read the template from the backend: " + gets);
                } else {
                    assertEquals(0, gets, "backend reads by clone " + i);
                }
            }
            CacheStats s = b.clusterCache().stats();
            assertEquals(TEMPLATE / 4096, s.occupied(), "the cluster cache holds the template once: " + s);
            assertEquals(TEMPLATE / 4096, s.inserts(), s.toString());
            assertEquals(0, s.evictions(), s.toString());
        }
    }

    /**
     * 20 clones of a template read it at once on a node that holds none of it, from a store that takes
     * 20 ms per call: the window fetches are shared, so the backend is read about once per MiB. The
     * time beside a single reader is printed (a figure for benchmarks/README.md, not asserted).
     * {@code -Dscoria.bootstorm.mib=256} runs the size.
     */
    @Test
    void twentyClonesReadingAtOnceShareTheBackendReads(@TempDir Path tmp) throws Exception {
        int size = Integer.getInteger("scoria.bootstorm.mib", 32) << 20;
        FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());
        byte[] image = new byte[size];
        new Random(12).nextBytes(image);
        try (LocalVolumeService a = new LocalVolumeService(store, EngineConfig.defaults(tmp.resolve("a"))
                .withScoCacheBytes(Math.max(256L << 20, 2L * size)).withClusterCacheBytes(8L << 20))) {
            a.create("gold", VolumeSpec.ofSize(size));
            Volume g = a.open("gold");
            for (int off = 0; off < size; off += 4 << 20) {
                g.write(off, ByteBuffer.wrap(image, off, 4 << 20), false);
            }
            a.makeTemplate("gold");
            a.closeVolume("gold");
            assertTrue(a.awaitUploads(Duration.ofSeconds(120)));
        }
        store.latency(c -> c.op() == FaultInjectingStore.Op.GET || c.op() == FaultInjectingStore.Op.READ
                ? Duration.ofMillis(20) : Duration.ZERO);
        double single = readAll(store, tmp.resolve("single"), 1, size, image)[1];
        double[] storm = readAll(store, tmp.resolve("storm"), 20, size, image);
        System.out.printf("boot storm: %d MiB template, 20 ms per GET: one clone %.2f s; 20 clones at once %.2f s (%.2fx),"
                + " %d GETs (%.2fx one per MiB)%n", size >> 20, single, storm[1], storm[1] / single, (long) storm[0],
                storm[0] / (size >> 20));
        assertTrue(storm[0] <= 1.2 * (size >> 20) + 8, "20 clones made " + (long) storm[0] + " GETs for "
                + (size >> 20) + " MiB");
    }

    /** A fresh node clones the template {@code clones} times and reads every clone at once: {GETs, seconds}. */
    private static double[] readAll(FaultInjectingStore store, Path dir, int clones, int size, byte[] image) throws Exception {
        try (LocalVolumeService b = new LocalVolumeService(store, EngineConfig.defaults(dir)
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(size + (64L << 20)))) {
            b.open("gold");
            java.util.List<Volume> vols = new java.util.ArrayList<>();
            for (int i = 0; i < clones; i++) {
                String name = dir.getFileName() + "-" + i;
                b.clone("gold", null, name);
                vols.add(b.open(name));
            }
            long before = store.metrics().gets();
            long t0 = System.nanoTime();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clones);
            try {
                java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (Volume c : vols) {
                    done.add(pool.submit(() -> {
                        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                        for (int off = 0; off < size; off += buf.capacity()) {
                            buf.clear();
                            c.read(off, buf);
                            if (!Arrays.equals(buf.array(), 0, buf.capacity(), image, off, off + buf.capacity())) {
                                throw new AssertionError(c.name() + " differs from the template near byte " + off);
                            }
                        }
                        return null;
                    }));
                }
                for (var f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            return new double[] {store.metrics().gets() - before, (System.nanoTime() - t0) / 1e9};
        }
    }
}
