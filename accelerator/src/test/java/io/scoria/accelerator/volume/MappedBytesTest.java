package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LocalVolume#mappedBytes} (the LBA map's count of mapped clusters, issue 25) equals what a full
 * {@code extents} scan of the volume reports as data, through random writes (data, zeros, partial
 * clusters), trims, write-zeroes, snapshots, rollbacks, clones, clean restarts, crashes (the map
 * discarded and the TLogs replayed) and rebuilds from the backend on an empty data directory.
 */
class MappedBytesTest {
    private static final long SIZE = 8L << 20;
    private static final int CLUSTER = 4096;

    @TempDir
    Path tmp;
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private Path dataDir;
    private LocalVolumeService svc;

    private EngineConfig config() {
        return EngineConfig.defaults(dataDir).withScoCacheBytes(32L << 20).withClusterCacheBytes(1L << 20)
                .withScosPerTlog(2).withRetry(Duration.ofMillis(1), Duration.ofMillis(10));
    }

    private static long scanned(LocalVolume v) {
        long[] data = {0};
        v.extents(0, v.size(), (length, zero) -> {
            if (!zero) {
                data[0] += length;
            }
            return true;
        });
        return data[0];
    }

    private void assertCounted(List<String> volumes, String after) {
        for (String name : volumes) {
            LocalVolume v = svc.open(name);
            assertEquals(scanned(v), v.mappedBytes(), name + " after " + after);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void theCountMatchesAFullScanThroughEveryKindOfChange(long seed) {
        Random r = new Random(seed);
        dataDir = tmp.resolve("node0");
        svc = new LocalVolumeService(store, config());
        svc.create("base", new VolumeSpec(SIZE, CLUSTER, 1 << 20));
        List<String> volumes = new ArrayList<>(List.of("base"));
        List<String> snapshots = new ArrayList<>();
        int nodes = 0;
        long largest = 0;
        Map<String, Integer> done = new TreeMap<>();
        for (int op = 0; op < 150; op++) {
            String name = volumes.get(r.nextInt(volumes.size()));
            LocalVolume v = svc.open(name);
            int dice = r.nextInt(100);
            String what;
            if (dice < 55) {
                int len = 1 + r.nextInt(16 * CLUSTER);
                long off = r.nextInt((int) (SIZE - len));
                byte[] data = new byte[len];
                if (r.nextInt(4) != 0) {
                    r.nextBytes(data);
                }
                v.write(off, ByteBuffer.wrap(data), r.nextInt(10) == 0);
                what = "write of " + len + " bytes at " + off;
            } else if (dice < 70) {
                long off = r.nextInt((int) (SIZE / 2));
                int len = r.nextInt(64 * CLUSTER);
                if (r.nextBoolean()) {
                    v.trim(off, len);
                } else {
                    v.writeZeroes(off, len, false);
                }
                what = "trim of " + len + " bytes at " + off;
            } else if (dice < 78 && name.equals("base")) {
                String s = "s" + op;
                v.snapshot(s);
                snapshots.add(s);
                what = "snapshot " + s;
            } else if (dice < 84 && name.equals("base") && !snapshots.isEmpty() && volumes.size() == 1) {
                String s = snapshots.get(r.nextInt(snapshots.size()));
                v.rollback(s);
                snapshots.subList(snapshots.indexOf(s) + 1, snapshots.size()).clear();
                what = "rollback to " + s;
            } else if (dice < 87 && !snapshots.isEmpty() && volumes.size() < 3 && op > 75) {
                String c = "clone" + op;
                svc.clone("base", snapshots.get(snapshots.size() - 1), c);
                volumes.add(c);
                what = "clone " + c;
            } else if (dice < 92) {
                svc.close();
                svc = new LocalVolumeService(store, config());
                what = "restart (clean)";
            } else if (dice < 97) {
                svc.crash();
                svc = new LocalVolumeService(store, config());
                what = "crash";
            } else {
                svc.close();
                dataDir = tmp.resolve("node" + (++nodes));
                svc = new LocalVolumeService(store, config());
                what = "rebuild from the backend";
            }
            assertCounted(volumes, what);
            done.merge(what.split(" ")[0], 1, Integer::sum);
            largest = Math.max(largest, svc.open("base").mappedBytes());
        }
        svc.close();
        assertTrue(largest > SIZE / 16, "the volume filled up: at most " + largest + " bytes mapped");
        for (String kind : List.of("write", "trim", "snapshot", "rollback", "clone", "restart", "crash", "rebuild")) {
            assertTrue(done.containsKey(kind), "seed " + seed + " made no " + kind + ": " + done);
        }
        System.out.println("MappedBytesTest seed " + seed + ": " + done);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 300})
    void distinctClustersWrittenAreCountedOnceEach(int clusters) {
        dataDir = tmp.resolve("node");
        svc = new LocalVolumeService(store, config());
        svc.create("vol", new VolumeSpec(SIZE, CLUSTER, 1 << 20));
        LocalVolume v = svc.open("vol");
        assertEquals(0, v.mappedBytes());
        byte[] data = new byte[CLUSTER];
        for (int i = 0; i < clusters; i++) {
            data[0] = 1;
            data[1] = (byte) i;
            v.write((long) i * 5 * CLUSTER, ByteBuffer.wrap(data), false);
            v.write((long) i * 5 * CLUSTER, ByteBuffer.wrap(data), false);
        }
        assertEquals((long) clusters * CLUSTER, v.mappedBytes());
        v.trim(0, CLUSTER);
        assertEquals((long) (clusters - 1) * CLUSTER, v.mappedBytes());
        svc.close();
    }
}
