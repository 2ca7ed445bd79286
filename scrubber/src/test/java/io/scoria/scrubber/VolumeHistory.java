package io.scoria.scrubber;

import io.scoria.backend.ObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes a volume's history to a backend in the on-backend formats (SCOs, TLogs, manifest)
 * the way the router does, keeping a reference model of every snapshot, and reads a
 * snapshot's state back from the backend by replaying its TLogs. Test fixture.
 */
public final class VolumeHistory {
    public final ObjectStore store;
    public final String ns;
    final VolumeManifest.Config config;
    private final Path tmp;
    private final int clustersPerSco;
    private VolumeManifest manifest;
    private long nextSco = 1;
    private long nextTlog = 1;
    private long nextSnap = 1;
    private ByteBuffer sco;
    private int scoClusters;
    private long scoNumber;
    private TLogWriter tlog;
    private final Map<Long, byte[]> current = new HashMap<>();
    public final Map<String, Map<Long, byte[]>> snapshots = new HashMap<>();

    public VolumeHistory(ObjectStore store, String ns, long clusters, int clusterSize, int scoSize, Path tmp) {
        this.store = store;
        this.ns = ns;
        this.tmp = tmp;
        this.config = new VolumeManifest.Config(clusters * clusterSize, clusterSize, scoSize, ns);
        this.clustersPerSco = scoSize / clusterSize;
        store.createNamespace(ns);
        manifest = VolumeManifest.create(ns, config).withGeneration(1);
        new VolumeManifestStore(store).publish(ns, manifest);
    }

    public void write(long lba, byte[] data) {
        append(lba, data, false);
    }

    /** Appends {@code data} at {@code lba} as a HYDRATED record (a clone's copy of its parent's cluster). */
    public void hydrate(long lba, byte[] data) {
        append(lba, data, true);
    }

    private void append(long lba, byte[] data, boolean hydrated) {
        if (tlog == null) {
            tlog = TLogWriter.create(tmp.resolve("t" + nextTlog), nextTlog++, 100_000, config.clusterSize());
        }
        if (sco == null) {
            sco = ByteBuffer.allocate(config.scoSize());
            scoClusters = 0;
            scoNumber = nextSco++;
        }
        long location = ClusterLocation.of(scoNumber, 0, 0, scoClusters++);
        sco.put(data);
        CRC32C crc = new CRC32C();
        crc.update(data);
        if (hydrated) {
            tlog.hydrated(lba, location, lba * 31, Arrays.hashCode(data), (int) crc.getValue());
        } else {
            tlog.cluster(lba, location, lba * 31, Arrays.hashCode(data), (int) crc.getValue());
        }
        current.put(lba, data.clone());
        if (scoClusters == clustersPerSco) {
            sealSco();
        }
    }

    public void trim(long lba) {
        if (tlog == null) {
            tlog = TLogWriter.create(tmp.resolve("t" + nextTlog), nextTlog++, 100_000, config.clusterSize());
        }
        tlog.cluster(lba, ClusterLocation.ZERO, 0, 0, 0);
        current.remove(lba);
    }

    private void sealSco() {
        if (sco == null || scoClusters == 0) {
            return;
        }
        ByteBuffer content = ByteBuffer.wrap(sco.array(), 0, scoClusters * config.clusterSize());
        store.put(ns, NamespaceLayout.scoKey(scoNumber, 0), content);
        tlog.scoSealed(ClusterLocation.of(scoNumber, 0, 0, 0), OpenSco.checksum(content), scoClusters);
        sco = null;
    }

    /** Seals the open SCO and TLog and records a snapshot (manifest published). */
    public void snapshot(String name) {
        if (tlog == null) {
            tlog = TLogWriter.create(tmp.resolve("t" + nextTlog), nextTlog++, 100_000, config.clusterSize());
        }
        sealSco();
        long id = nextSnap++;
        tlog.snapshot(id);
        tlog.seal();
        store.put(ns, NamespaceLayout.tlogKey(tlog.number()), tlog.contents());
        manifest = manifest.withTlog(tlog.number());
        tlog.close();
        tlog = null;
        manifest = manifest.withSnapshot(name, id, System.currentTimeMillis())
                .withCounters(nextSco, nextTlog, nextSnap).withGeneration(manifest.generation() + 1);
        new VolumeManifestStore(store).publish(ns, manifest);
        Map<Long, byte[]> copy = new HashMap<>();
        current.forEach((k, v) -> copy.put(k, v.clone()));
        snapshots.put(name, copy);
    }

    /** Deletes a snapshot the way the router does: its TLogs merge into the next snapshot. */
    public void deleteSnapshot(String name) {
        List<VolumeManifest.Snapshot> snaps = new ArrayList<>(manifest.snapshots());
        for (int i = 0; i < snaps.size() - 1; i++) {
            if (snaps.get(i).name().equals(name)) {
                VolumeManifest.Snapshot gone = snaps.remove(i);
                VolumeManifest.Snapshot next = snaps.get(i);
                List<Long> merged = new ArrayList<>(gone.tlogs());
                merged.addAll(next.tlogs());
                snaps.set(i, new VolumeManifest.Snapshot(next.name(), next.id(), next.createdMillis(), merged, false));
                manifest = manifest.withHistory(snaps, manifest.currentTlogs()).withGeneration(manifest.generation() + 1);
                new VolumeManifestStore(store).publish(ns, manifest);
                snapshots.remove(name);
                return;
            }
        }
        throw new IllegalArgumentException("cannot delete " + name + " in this fixture");
    }

    public VolumeManifest manifest() {
        return manifest;
    }

    /** Publishes {@code m} as the next generation (as the router does after applying a result). */
    public void publish(VolumeManifest m) {
        manifest = m.withGeneration(manifest.generation() + 1);
        new VolumeManifestStore(store).publish(ns, manifest);
    }

    /** The LBAs that HYDRATED records of the TLogs through {@code snapshot} (on the backend) name. */
    public java.util.Set<Long> hydratedThrough(String snapshot) {
        VolumeManifest m = new VolumeManifestStore(store).readLatest(ns).orElseThrow();
        java.util.Set<Long> lbas = new java.util.TreeSet<>();
        for (long t : m.tlogsThrough(snapshot)) {
            String key = NamespaceLayout.tlogKey(t);
            TLogReader.replaySealed(store.get(ns, key), key, new TLogVisitor() {
                @Override
                public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                }

                @Override
                public void hydrated(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                    lbas.add(lba);
                }
            });
        }
        return lbas;
    }

    /** The state at a snapshot, read from the backend: LBA → bytes (zero clusters absent). */
    public Map<Long, byte[]> readBack(String snapshot) {
        VolumeManifest m = new VolumeManifestStore(store).readLatest(ns).orElseThrow();
        Map<Long, Long> map = new HashMap<>();
        for (long t : m.tlogsThrough(snapshot)) {
            String key = NamespaceLayout.tlogKey(t);
            TLogReader.replaySealed(store.get(ns, key), key, new TLogVisitor() {
                @Override
                public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                    map.put(lba, location);
                }
            });
        }
        Map<Long, byte[]> state = new HashMap<>();
        map.forEach((lba, loc) -> {
            if (loc != ClusterLocation.ZERO) {
                ByteBuffer b = store.get(ns, NamespaceLayout.scoKey(loc),
                        (long) ClusterLocation.offset(loc) * config.clusterSize(), config.clusterSize());
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                state.put(lba, bytes);
            }
        });
        return state;
    }

    public static Path tempDir() throws IOException {
        return Files.createTempDirectory("volume-history");
    }
}
