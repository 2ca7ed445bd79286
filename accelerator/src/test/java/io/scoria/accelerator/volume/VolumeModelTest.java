package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Random writes, reads, trims, snapshots, rollbacks, clones, restarts from local flash (clean
 * and crash), rebuilds from the backend alone, with backend errors, latency and outages,
 * checked against a byte-array model of every volume.
 */
class VolumeModelTest {
    private static final int SIZE = 2 << 20;
    private static final int CLUSTER = 4096;

    @TempDir
    Path tmp;

    private final Map<String, byte[]> model = new LinkedHashMap<>();
    private final Map<String, Map<String, byte[]>> snapshots = new HashMap<>();
    private final Map<String, List<String>> clonesOfSnapshot = new HashMap<>();
    private LocalVolumeService svc;
    private FaultInjectingStore store;
    private Path dataDir;
    private int nodes;

    private EngineConfig config() {
        return EngineConfig.defaults(dataDir).withScoCacheBytes(32L << 20).withClusterCacheBytes(1L << 20).withScosPerTlog(2)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(10));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void randomOperationsMatchTheModel(long seed) {
        Random r = new Random(seed);
        store = new FaultInjectingStore(new InMemoryObjectStore());
        dataDir = tmp.resolve("node0");
        svc = new LocalVolumeService(store, config());
        create("base");
        byte[][] patterns = new byte[4][CLUSTER];
        for (byte[] p : patterns) {
            r.nextBytes(p);
        }
        int restarts = 0, crashes = 0, rebuilds = 0, rollbacks = 0, clones = 0, refused = 0;
        for (int op = 0; op < 1500; op++) {
            List<String> names = new ArrayList<>(model.keySet());
            String name = names.get(r.nextInt(names.size()));
            Volume v = svc.open(name);
            int dice = r.nextInt(1000);
            if (dice < 450) {
                int off = r.nextInt(SIZE - 3 * CLUSTER);
                int len = 1 + r.nextInt(3 * CLUSTER);
                if (r.nextBoolean()) {
                    off = off / CLUSTER * CLUSTER;
                    len = (1 + r.nextInt(3)) * CLUSTER;
                }
                byte[] data = new byte[len];
                int kind = r.nextInt(4);
                if (kind == 0) {
                    r.nextBytes(data);
                } else if (kind == 1) {
                    for (int i = 0; i < len; i++) {
                        data[i] = patterns[(i / CLUSTER) % 4][i % CLUSTER];
                    }
                } // else zeros
                try {
                    v.write(off, ByteBuffer.wrap(data), r.nextInt(10) == 0);
                } catch (io.scoria.accelerator.VolumeException e) {
                    // a partial cluster that is neither cached nor local needs the backend for read-modify-write
                    assertTrue(store.isDown(), "write failed while the backend was up: " + e);
                    check(name, 0, SIZE);
                    continue;
                }
                System.arraycopy(data, 0, model.get(name), off, len);
            } else if (dice < 800) {
                int off = r.nextInt(SIZE - 4 * CLUSTER);
                int len = 1 + r.nextInt(4 * CLUSTER);
                check(name, off, len);
            } else if (dice < 850) {
                int off = r.nextInt(SIZE - 8 * CLUSTER);
                int len = r.nextInt(8 * CLUSTER);
                try {
                    if (r.nextBoolean()) {
                        v.trim(off, len);
                    } else {
                        v.writeZeroes(off, len, false);
                    }
                } catch (io.scoria.accelerator.VolumeException e) {
                    assertTrue(store.isDown(), "trim failed while the backend was up: " + e);
                    check(name, 0, SIZE);
                    continue;
                }
                Arrays.fill(model.get(name), off, off + len, (byte) 0);
            } else if (dice < 880) {
                String s = "s" + op;
                v.snapshot(s);
                snapshots.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(s, model.get(name).clone());
            } else if (dice < 900) {
                Map<String, byte[]> snaps = snapshots.getOrDefault(name, Map.of());
                if (!snaps.isEmpty()) {
                    List<String> sn = new ArrayList<>(snaps.keySet());
                    String s = sn.get(r.nextInt(sn.size()));
                    boolean laterHasClones = sn.subList(sn.indexOf(s) + 1, sn.size()).stream()
                            .anyMatch(x -> !clonesOfSnapshot.getOrDefault(name + "@" + x, List.of()).isEmpty());
                    if (laterHasClones) {
                        assertThrows(VolumeConflictException.class, () -> v.rollback(s));
                        refused++;
                    } else {
                        v.rollback(s);
                        rollbacks++;
                        model.put(name, snaps.get(s).clone());
                        for (String later : sn.subList(sn.indexOf(s) + 1, sn.size())) {
                            snaps.remove(later);
                        }
                    }
                }
            } else if (dice < 910) {
                Map<String, byte[]> snaps = snapshots.getOrDefault(name, Map.of());
                if (!snaps.isEmpty()) {
                    List<String> sn = new ArrayList<>(snaps.keySet());
                    String s = sn.get(r.nextInt(sn.size()));
                    if (!clonesOfSnapshot.getOrDefault(name + "@" + s, List.of()).isEmpty()) {
                        assertThrows(VolumeConflictException.class, () -> v.deleteSnapshot(s));
                        refused++;
                    } else {
                        v.deleteSnapshot(s);
                        snaps.remove(s);
                    }
                }
            } else if (dice < 925 && model.size() < 6) {
                Map<String, byte[]> snaps = snapshots.getOrDefault(name, Map.of());
                if (!snaps.isEmpty()) {
                    List<String> sn = new ArrayList<>(snaps.keySet());
                    String s = sn.get(r.nextInt(sn.size()));
                    String c = "clone" + op;
                    if (store.isDown()) {
                        // creating a namespace needs the backend: refused, nothing created
                        assertThrows(RuntimeException.class, () -> svc.clone(name, s, c));
                        // info() of an unknown name asks the backend (another router may have made it): list()
                        assertTrue(svc.list().stream().noneMatch(i -> i.name().equals(c)));
                        refused++;
                        continue;
                    }
                    svc.clone(name, s, c);
                    clones++;
                    model.put(c, snaps.get(s).clone());
                    clonesOfSnapshot.computeIfAbsent(name + "@" + s, k -> new ArrayList<>()).add(c);
                    checkAll(r);
                }
            } else if (dice < 935) {
                svc.close();
                svc = new LocalVolumeService(store, config());
                restarts++;
                checkAll(r);
            } else if (dice < 943) {
                svc.crash();
                svc = new LocalVolumeService(store, config());
                crashes++;
                checkAll(r);
            } else if (dice < 948) {
                store.heal();
                svc.close();
                dataDir = tmp.resolve("node" + (++nodes));
                svc = new LocalVolumeService(store, config());
                rebuilds++;
                checkAll(r);
            } else if (dice < 970) {
                int f = r.nextInt(3);
                if (f == 0) {
                    store.down(true);
                } else if (f == 1) {
                    store.failWhen(c -> c.op() == FaultInjectingStore.Op.PUT && Math.floorMod(c.key().hashCode(), 3) == 0
                            && System.nanoTime() % 2 == 0);
                } else {
                    store.latency(c -> c.op() == FaultInjectingStore.Op.PUT ? Duration.ofMillis(1) : Duration.ZERO);
                }
            } else {
                store.heal();
            }
        }
        store.heal();
        checkAll(r);
        svc.close();
        dataDir = tmp.resolve("final");
        svc = new LocalVolumeService(store, config());
        checkAll(r);
        svc.close();
        assertTrue(rebuilds + restarts + crashes > 0);
        System.out.printf("seed %d: %d volumes, restarts %d, crashes %d, rebuilds %d, rollbacks %d, clones %d, refused %d, injected failures %d%n",
                seed, model.size(), restarts, crashes, rebuilds, rollbacks, clones, refused, store.injectedFailures());
    }

    private void create(String name) {
        svc.create(name, new VolumeSpec(SIZE, CLUSTER, 1 << 20));
        model.put(name, new byte[SIZE]);
    }

    private void check(String name, int off, int len) {
        ByteBuffer b = ByteBuffer.allocate(len);
        try {
            svc.open(name).read(off, b);
        } catch (io.scoria.accelerator.VolumeException e) {
            // a cluster neither cached nor on local flash needs the backend: legal to fail while it is down
            assertTrue(store.isDown(), "read failed while the backend was up: " + e);
            store.down(false);
            b.clear();
            svc.open(name).read(off, b);
        }
        byte[] want = Arrays.copyOfRange(model.get(name), off, off + len);
        if (!Arrays.equals(want, b.array())) {
            int i = Arrays.mismatch(want, b.array());
            fail("volume " + name + " differs from the model at byte " + (off + i) + " (cluster " + (off + i) / CLUSTER + ")");
        }
    }

    private void checkAll(Random r) {
        for (String name : model.keySet()) {
            check(name, 0, SIZE);
        }
    }
}
