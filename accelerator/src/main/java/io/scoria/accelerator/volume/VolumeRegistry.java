package io.scoria.accelerator.volume;

import io.scoria.backend.ObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The node's catalogue of volumes: the latest manifest this node knows of every volume, by namespace
 * (sorted, so that a page of a listing is a range of it), and which of them are replicas. Filled from
 * local flash at start and from the backend's namespaces ({@link VolumeScan}): fully at start, then at
 * most once per {@code rescanEvery} when listed, so that a listing of 10,000 volumes costs no backend
 * request per volume and at most one namespace listing per interval, whatever the call rate.
 *
 * <p>Thread-safe: the maps are concurrent; a rescan runs on one caller at a time (others use the
 * catalogue as it is).
 */
final class VolumeRegistry {
    private final ObjectStore store;
    private final VolumeManifestStore manifests;
    private final Set<String> open;
    private final long rescanNanos;
    private final ConcurrentSkipListMap<String, VolumeManifest> byNamespace = new ConcurrentSkipListMap<>();
    /** Namespaces whose replication role was REPLICA when last read (listed as REPLICA, served read-only). */
    private final Set<String> replicas = ConcurrentHashMap.newKeySet();
    private final Object scanning = new Object();
    private volatile long lastScan;

    /**
     * @param open        the namespaces open on this node (a live view): their role is not read again
     * @param rescanEvery the least time between two backend scans of {@link #refresh}
     */
    VolumeRegistry(ObjectStore store, VolumeManifestStore manifests, Path volumesDir, Set<String> open,
                   Duration rescanEvery) {
        this.store = store;
        this.manifests = manifests;
        this.open = open;
        this.rescanNanos = rescanEvery.toNanos();
        VolumeScan.loadLocal(volumesDir, byNamespace);
        scan(true);
    }

    private void scan(boolean all) {
        synchronized (scanning) {
            VolumeScan.scanBackend(store, manifests, byNamespace, open, replicas, all);
            lastScan = System.nanoTime();
        }
    }

    /**
     * Learns the backend's volumes this node does not know yet (made by a replication job or another
     * router) unless that was done less than {@code rescanEvery} ago.
     */
    void refresh() {
        if (System.nanoTime() - lastScan < rescanNanos) {
            return;
        }
        synchronized (scanning) {
            if (System.nanoTime() - lastScan >= rescanNanos) {
                scan(false);
            }
        }
    }

    VolumeManifest get(String namespace) {
        return byNamespace.get(namespace);
    }

    boolean contains(String namespace) {
        return byNamespace.containsKey(namespace);
    }

    void put(String namespace, VolumeManifest m) {
        byNamespace.put(namespace, m);
    }

    void putIfAbsent(String namespace, VolumeManifest m) {
        byNamespace.putIfAbsent(namespace, m);
    }

    void remove(String namespace) {
        byNamespace.remove(namespace);
        replicas.remove(namespace);
    }

    /** The manifest of {@code name}, read from the backend if this node does not know it yet (and then kept). */
    Optional<VolumeManifest> lookUp(String name) {
        VolumeManifest m = byNamespace.get(name);
        if (m == null) {
            m = manifests.readLatest(name).orElse(null);
            if (m != null) {
                byNamespace.putIfAbsent(name, m);
            }
        }
        return Optional.ofNullable(m);
    }

    Collection<VolumeManifest> all() {
        return byNamespace.values();
    }

    /** Up to {@code limit} manifests whose namespace sorts after {@code after} (null: from the first). */
    List<VolumeManifest> page(String after, int limit) {
        Map<String, VolumeManifest> tail = after == null ? byNamespace : byNamespace.tailMap(after, false);
        List<VolumeManifest> out = new ArrayList<>(Math.min(limit, 1024));
        for (VolumeManifest m : tail.values()) {
            if (out.size() == limit) {
                break;
            }
            out.add(m);
        }
        return out;
    }

    /** The clones whose parent is {@code namespace}, by name. */
    List<VolumeManifest> clonesOf(String namespace) {
        List<VolumeManifest> out = new ArrayList<>();
        for (VolumeManifest m : byNamespace.values()) {
            if (m.parent() != null && m.parent().namespace().equals(namespace)) {
                out.add(m);
            }
        }
        out.sort(Comparator.comparing(VolumeManifest::name));
        return out;
    }

    boolean isReplica(String namespace) {
        return replicas.contains(namespace);
    }

    /** Keeps the replica set in step with the role {@code fence} read for {@code namespace}. */
    void noteRole(String namespace, ReplicationFence fence) {
        VolumeScan.noteRole(replicas, namespace, fence);
    }
}
