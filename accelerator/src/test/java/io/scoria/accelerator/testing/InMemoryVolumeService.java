package io.scoria.accelerator.testing;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A test fixture {@link VolumeService} over {@link InMemoryVolume}s. Clones copy the parent's
 * snapshot (correct, not thin). Thread-safe (one lock for the catalogue).
 */
public final class InMemoryVolumeService implements VolumeService {
    private final Map<String, Entry> volumes = new TreeMap<>();
    private boolean closed;

    private static final class Entry {
        final InMemoryVolume volume;
        VolumeInfo info;

        Entry(InMemoryVolume volume, VolumeInfo info) {
            this.volume = volume;
            this.info = info;
        }
    }

    @Override
    public synchronized VolumeInfo create(String name, VolumeSpec spec, String project) {
        checkOpen();
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(spec, "spec");
        io.scoria.sco.VolumeManifest.checkProject(project);
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("name must be 1-63 characters of [A-Za-z0-9._-]: " + name);
        }
        if (volumes.containsKey(name)) {
            throw new VolumeConflictException("volume " + name + " exists");
        }
        VolumeInfo info = new VolumeInfo(name, "ns-" + name.toLowerCase(), spec, false, null, null, "OK", null, null, project);
        volumes.put(name, new Entry(new InMemoryVolume(name, spec.sizeBytes(), spec.clusterSize()), info));
        return info;
    }

    @Override
    public synchronized List<VolumeInfo> list() {
        List<VolumeInfo> out = new ArrayList<>();
        volumes.values().forEach(e -> out.add(e.info));
        return out;
    }

    @Override
    public synchronized Optional<VolumeInfo> info(String name) {
        Entry e = volumes.get(name);
        return e == null ? Optional.empty() : Optional.of(e.info);
    }

    private Entry entry(String name) {
        Entry e = volumes.get(name);
        if (e == null) {
            throw new VolumeNotFoundException("no volume " + name);
        }
        return e;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("volume service is closed");
        }
    }

    @Override
    public synchronized Volume open(String name) {
        checkOpen();
        return entry(name).volume;
    }

    /** The fixture's own type, for tests that need its hooks. */
    public synchronized InMemoryVolume openInMemory(String name) {
        return entry(name).volume;
    }

    @Override
    public synchronized void delete(String name) {
        entry(name);
        for (Entry e : volumes.values()) {
            if (name.equals(e.info.parent())) {
                throw new VolumeConflictException("volume " + name + " has clone " + e.info.name());
            }
        }
        volumes.remove(name).volume.close();
    }

    @Override
    public synchronized VolumeInfo makeTemplate(String name) {
        Entry e = entry(name);
        if (e.info.template()) {
            return e.info;
        }
        if (e.volume.latestSnapshot() == null) {
            e.volume.snapshot("template");
        }
        e.volume.setReadOnly(true);
        VolumeInfo i = e.info;
        e.info = new VolumeInfo(i.name(), i.namespace(), i.spec(), true, i.parent(), i.parentSnapshot(), i.state(), null, null,
                i.project());
        return e.info;
    }

    @Override
    public synchronized VolumeInfo clone(String parent, String snapshot, String cloneName, String project) {
        Entry p = entry(parent);
        String snap = snapshot != null ? snapshot : p.volume.latestSnapshot();
        if (snap == null) {
            throw new VolumeConflictException("volume " + parent + " has no snapshot to clone");
        }
        var content = p.volume.snapshotClusters(snap);
        create(cloneName, p.info.spec(), project == null ? p.info.project() : project);
        Entry c = volumes.get(cloneName);
        c.volume.replaceClusters(content);
        VolumeInfo i = c.info;
        c.info = new VolumeInfo(i.name(), i.namespace(), i.spec(), false, parent, snap, i.state(), null, null, i.project());
        return c.info;
    }

    /** A read-only copy of the snapshot's clusters, owned by the caller. */
    @Override
    public synchronized Volume openSnapshot(String volume, String snapshot) {
        Entry e = entry(volume);
        var content = e.volume.snapshotClusters(snapshot);
        InMemoryVolume v = new InMemoryVolume(volume + "@" + snapshot, e.volume.size(), e.volume.clusterSize());
        v.replaceClusters(content);
        v.setReadOnly(true);
        return v;
    }

    /**
     * Clusters whose content differs between the two snapshots (the engine answers from its write
     * history instead, which also names clusters rewritten with the same bytes); no window paging
     * beyond {@code limit}.
     */
    @Override
    public synchronized ChangedRanges changes(String volume, String from, String to, long start, long length, int limit) {
        Entry e = entry(volume);
        var a = e.volume.snapshotClusters(from);
        var b = e.volume.snapshotClusters(to);
        java.util.TreeSet<Long> changed = new java.util.TreeSet<>();
        for (Long lba : a.keySet()) {
            if (!java.util.Arrays.equals(a.get(lba), b.get(lba))) {
                changed.add(lba);
            }
        }
        for (Long lba : b.keySet()) {
            if (!a.containsKey(lba)) {
                changed.add(lba);
            }
        }
        int cs = e.volume.clusterSize();
        List<ChangedRanges.Range> out = new ArrayList<>();
        for (long lba : changed) {
            long off = lba * cs;
            if (off < start || off >= start + length) {
                continue;
            }
            if (out.size() == limit) {
                return new ChangedRanges(volume, from, to, cs, out, off);
            }
            out.add(new ChangedRanges.Range(off, cs));
        }
        return new ChangedRanges(volume, from, to, cs, out, -1);
    }

    @Override
    public synchronized VolumeInfo resize(String name, long sizeBytes, boolean force) {
        Entry e = entry(name);
        if (sizeBytes < e.volume.size() && !force) {
            throw new VolumeConflictException("shrinking " + name + " needs force");
        }
        e.volume.resize(sizeBytes);
        VolumeInfo i = e.info;
        e.info = new VolumeInfo(i.name(), i.namespace(), new io.scoria.accelerator.VolumeSpec(sizeBytes, i.spec().clusterSize(),
                i.spec().scoSize()), i.template(), i.parent(), i.parentSnapshot(), i.state(), null, null, i.project());
        return e.info;
    }

    @Override
    public synchronized VolumeInfo resetToParent(String clone) {
        Entry c = entry(clone);
        if (c.info.parent() == null) {
            throw new VolumeConflictException("volume " + clone + " is not a clone");
        }
        Entry p = entry(c.info.parent());
        c.volume.replaceClusters(p.volume.snapshotClusters(c.info.parentSnapshot()));
        return c.info;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            volumes.values().forEach(e -> e.volume.close());
        }
    }
}
