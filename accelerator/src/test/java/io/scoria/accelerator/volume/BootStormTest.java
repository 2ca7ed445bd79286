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
}
