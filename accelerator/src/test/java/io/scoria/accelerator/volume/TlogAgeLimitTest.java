package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A slow writer's data reaches the backend within the TLog age limit, not when a 32 MiB SCO fills. */
class TlogAgeLimitTest {
    @TempDir
    Path tmp;

    private static EngineConfig config(Path dir, Duration maxAge) {
        return EngineConfig.defaults(dir).withScoCacheBytes(128L << 20).withClusterCacheBytes(16L << 20)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20)).withMaxTlogAge(maxAge);
    }

    private static int tlogs(InMemoryObjectStore store) {
        return store.listAll("vol", NamespaceLayout.TLOG_PREFIX).size();
    }

    @Test
    void aSmallWriteIsOnTheBackendWithinTheAgeLimit() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalVolumeService svc = new LocalVolumeService(store, config(tmp, Duration.ofSeconds(1)))) {
            svc.create("vol", new VolumeSpec(64L << 20, 4096, 32 << 20));
            Volume v = svc.open("vol");
            v.write(0, ByteBuffer.allocate(8192).put(0, (byte) 7), false);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (tlogs(store) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(1, tlogs(store), "one TLog rolled by age");
            assertTrue(svc.awaitUploads(Duration.ofSeconds(20)));
            assertEquals(1, store.listAll("vol", NamespaceLayout.SCO_PREFIX).size(), "its SCO, sealed at 8 KiB");
            Thread.sleep(2500);
            assertEquals(1, tlogs(store), "an idle volume is not rolled again");
        }
    }

    @Test
    void withoutALimitTheWriteWaitsForTheScoToFill() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalVolumeService svc = new LocalVolumeService(store, config(tmp, Duration.ZERO))) {
            svc.create("vol", new VolumeSpec(64L << 20, 4096, 32 << 20));
            svc.open("vol").write(0, ByteBuffer.allocate(8192).put(0, (byte) 7), false);
            Thread.sleep(3000);
            assertEquals(0, tlogs(store));
            assertEquals(0, store.listAll("vol", NamespaceLayout.SCO_PREFIX).size());
        }
    }
}
