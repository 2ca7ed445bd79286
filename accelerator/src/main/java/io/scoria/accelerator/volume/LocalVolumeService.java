package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.HydrationStep;
import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.VolumeCounters;
import io.scoria.accelerator.OwnershipGuard;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.WriteListener;
import io.scoria.accelerator.dedup.ClusterCache;
import io.scoria.backend.Names;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.LocalScoCache;
import io.scoria.sco.cache.ScoFileCipher;
import io.scoria.sco.manifest.VolumeManifestStore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link VolumeService} of one node: volumes on an {@link ObjectStore} (one namespace per
 * volume, named like the volume), with a local data directory holding each volume's metadata
 * and TLogs, the node's SCO cache and its shared cluster cache. Volumes reopen from local
 * flash; a volume whose local state is gone is rebuilt from the backend on {@link #open}, and so is a
 * volume whose backend history moved on without this node ({@link DivergedHistory}). A volume whose
 * namespace is a replica (replication role REPLICA, FORMATS.md) is listed as {@code REPLICA}, served
 * read-only and rebuilt from the backend at every open, so it shows what the replication job
 * shipped last; nothing is uploaded to it. Every other volume is fenced by its
 * {@link ReplicationFence}.
 * Thread-safe (admin operations are serialised on the service).
 */
public final class LocalVolumeService implements VolumeService, VolumeContext {
    private final ObjectStore store;
    private final VolumeTransforms transforms;
    private final EngineConfig config;
    private final VolumeManifestStore manifests;
    private final LocalScoCache scoCache;
    private final ClusterCache clusterCache;
    /** Ranges of coalesced cold reads: 16 windows (16 MiB at the default 1 MiB read-ahead) for the whole node. */
    private final NamespaceCaches namespaces;
    private final ClosedVolumeUploads closedUploads = new ClosedVolumeUploads();
    private final Uploader uploader;
    private final WriteListener.Factory listeners;
    private final OwnershipGuard ownership;
    /** The least time between two scans of the backend's namespaces by {@link #list}. */
    static final Duration CATALOGUE_RESCAN = Duration.ofSeconds(5);
    private final Map<String, LocalVolume> open = new ConcurrentHashMap<>();
    private final VolumeRegistry registry;
    private final VolumeRemoval removal;
    private final VolumeCreation creation;
    private final ParentMaps parentMaps;
    private final java.util.concurrent.atomic.AtomicLong viewIds = new java.util.concurrent.atomic.AtomicLong();
    private final TlogAgeLimit tlogAge;
    private volatile boolean closed;

    /** A service whose volumes have no write hook. */
    public LocalVolumeService(ObjectStore store, EngineConfig config) {
        this(store, config, WriteListener.Factory.NONE);
    }

    /**
     * @param listeners gives each volume its write hook when the service opens it (the FOC wiring's
     *                  {@code FocHooks}); every open of a volume asks it again
     */
    public LocalVolumeService(ObjectStore store, EngineConfig config, WriteListener.Factory listeners) {
        this(store, config, listeners, OwnershipGuard.SINGLE_NODE);
    }

    /**
     * @param ownership asked before every upload and manifest publish of every volume (in a cluster,
     *                  the node's ownership leases; {@link OwnershipGuard#SINGLE_NODE} otherwise)
     */
    public LocalVolumeService(ObjectStore store, EngineConfig config, WriteListener.Factory listeners,
                              OwnershipGuard ownership) {
        this.ownership = Objects.requireNonNull(ownership, "ownership");
        this.store = Objects.requireNonNull(store, "store");
        this.transforms = new VolumeTransforms(store);
        this.config = Objects.requireNonNull(config, "config");
        this.listeners = Objects.requireNonNull(listeners, "listeners");
        this.manifests = new VolumeManifestStore(store);
        this.scoCache = new LocalScoCache(config.dataDir().resolve("sco"), config.scoCacheBytes());
        this.namespaces = new NamespaceCaches(store, transforms, 16);
        this.clusterCache = new ClusterCache(config.dataDir().resolve("cluster-cache"), config.cacheSlotSize(), config.clusterCacheBytes());
        this.uploader = new Uploader("scoria-upload", config.retryMin(), config.retryMax());
        VolumeRemoval.deleteTree(snapshotViews()); // maps of snapshot views a crash left behind
        this.tlogAge = config.maxTlogAge().isZero() ? null : new TlogAgeLimit(config.maxTlogAge(), open::values);
        this.registry = new VolumeRegistry(store, manifests, config.dataDir().resolve("volumes"), open.keySet(),
                CATALOGUE_RESCAN);
        this.removal = new VolumeRemoval(this, registry, open, closedUploads, this::isReplica);
        this.creation = new VolumeCreation(this, transforms, registry, namespaces);
        this.parentMaps = new ParentMaps(this, config.dataDir().resolve(ParentMaps.DIR));
    }

    /** True when the volume is a replica a replication job ships into (as last read from the backend). */
    public boolean isReplica(String name) {
        LocalVolume v = open.get(name);
        return v != null ? v.isReplica() : registry.isReplica(name);
    }

    // ---- VolumeContext -------------------------------------------------------------------

    @Override
    public EngineConfig config() {
        return config;
    }

    @Override
    public ObjectStore store() {
        return store;
    }

    @Override
    public VolumeManifestStore manifests() {
        return manifests;
    }

    @Override
    public LocalScoCache scoCache() {
        return scoCache;
    }

    @Override
    public ScoFileCipher scoCipher(String namespace) {
        return namespaces.scoCipher(namespace);
    }

    /**
     * The local flash keys of the volume in {@code namespace} (they seal its fail-over cache entries), or
     * empty when it is not encrypted.
     *
     * @throws io.scoria.backend.transform.WrongKeyException naming the volume when its data key cannot be unwrapped
     */
    public java.util.Optional<io.scoria.backend.transform.FlashKey> flashKey(String namespace) {
        return transforms.flashKey(namespace);
    }

    @Override
    public ClusterCache clusterCache() {
        return clusterCache;
    }

    @Override
    public FetchedRanges fetchedRanges() {
        return namespaces.fetchedRanges();
    }

    @Override
    public ParentMaps parentMaps() {
        return parentMaps;
    }

    @Override
    public Uploader uploader() {
        return uploader;
    }

    @Override
    public OwnershipGuard ownership() {
        return ownership;
    }

    @Override
    public VolumeManifest manifestOf(String namespace) {
        LocalVolume v = open.get(namespace);
        if (v != null) {
            return v.manifest();
        }
        Optional<VolumeManifest> local = VolumeManifestStore.readLocal(volumeDir(namespace).resolve("volume.json"));
        if (local.isPresent()) {
            return local.get();
        }
        return manifests.readLatest(namespace)
                .orElseThrow(() -> new VolumeNotFoundException("no volume in namespace '" + namespace + "'"));
    }

    @Override
    public List<VolumeManifest> clonesOf(String namespace) {
        return registry.clonesOf(namespace);
    }

    @Override
    public void manifestChanged(VolumeManifest m) {
        registry.put(m.config().namespace(), m);
    }

    // ---- VolumeService -------------------------------------------------------------------

    private static String checkName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("volume name must not be null");
        }
        try {
            Names.checkNamespace(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("volume name '" + name + "' is invalid: " + e.getMessage(), e);
        }
        return name;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("volume service is closed");
        }
    }

    private VolumeInfo infoOf(VolumeManifest m) {
        VolumeManifest.Config c = m.config();
        LocalVolume v = open.get(c.namespace());
        String state = v != null && v.fenced() != null ? "FENCED" : isReplica(c.namespace()) ? "REPLICA" : "OK";
        return new VolumeInfo(m.name(), c.namespace(), transforms.specOf(c), m.template(),
                m.parent() == null ? null : m.parent().volume(), m.parent() == null ? null : m.parent().snapshot(), state,
                m.volumeId(), v == null ? null : v.clones().cloneState(), m.project());
    }

    @Override
    public synchronized VolumeInfo create(String name, VolumeSpec spec, String project) {
        checkOpen();
        checkName(name);
        Objects.requireNonNull(spec, "spec");
        return infoOf(creation.create(name, spec, project));
    }

    @Override
    public List<VolumeInfo> list() {
        registry.refresh();
        return registry.all().stream().map(this::infoOf).toList();
    }

    /**
     * A page of the catalogue: up to {@code limit} volumes whose names sort after {@code after} (null:
     * from the first), in name order; no volume is opened and the backend is scanned at most once per
     * {@link #CATALOGUE_RESCAN}.
     */
    @Override
    public List<VolumeInfo> list(String after, int limit) {
        VolumeService.checkPage(limit);
        registry.refresh();
        return registry.page(after, limit).stream().map(this::infoOf).toList();
    }

    @Override
    public Optional<VolumeInfo> info(String name) {
        if (name == null || !validName(name)) {
            return Optional.empty();
        }
        // created since this node started, by another router on the same backend (a cluster node): looked up
        return registry.lookUp(name).map(this::infoOf);
    }

    private static boolean validName(String name) {
        try {
            Names.checkNamespace(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public LocalVolume open(String name) {
        checkOpen();
        checkName(name);
        return open.computeIfAbsent(name, n -> {
            namespaces.forgetCipher(n); // looked up again: the volume may have been deleted and made again elsewhere
            if (!registry.contains(n) && manifests.readLatest(n).isEmpty()) {
                throw new VolumeNotFoundException("no volume '" + n + "'");
            }
            closedUploads.supersede(n); // this open queues again what the closed instance had not uploaded
            ReplicationFence fence = ReplicationFence.atOpen(store, n, volumeDir(n));
            registry.noteRole(n, fence);
            if (fence.replica()) {
                removal.discardLocalState(n);
            } else {
                DivergedHistory.setAsideIfDiverged(this, n);
            }
            return new LocalVolume(this, LogRecovery.open(this, n, listeners.open(n), fence), config.cacheMode());
        });
    }

    /** The counters of volume {@code name} if it is open on this node (never opens it). */
    public Optional<VolumeCounters> counters(String name) {
        return Optional.ofNullable(open.get(name)).map(LocalVolume::counters);
    }

    /** Sets the cluster cache mode of a volume (opening it). */
    public void cacheMode(String name, CacheMode mode) {
        open(name).cacheMode(mode);
    }

    @Override
    public synchronized void delete(String name) {
        checkOpen();
        checkName(name);
        removal.delete(name);
        namespaces.forget(name);
    }

    /**
     * What is left on the backend and on this node's flash of deleted volume {@code name} (a volume
     * that exists is a {@link VolumeConflictException}).
     */
    public WipeReport wipeCheck(String name) {
        checkOpen();
        checkName(name);
        return removal.wipeCheck(name);
    }

    @Override
    public synchronized VolumeInfo makeTemplate(String name) {
        LocalVolume v = open(name);
        v.clones().makeTemplate();
        return infoOf(v.manifest());
    }

    @Override
    public synchronized VolumeInfo clone(String parent, String snapshot, String cloneName, String project) {
        checkOpen();
        checkName(parent);
        checkName(cloneName);
        VolumeInfo info = infoOf(creation.cloneOf(parent, snapshot, cloneName, project));
        VolumeManifest created = registry.get(cloneName);
        open.computeIfAbsent(cloneName, n -> new LocalVolume(this, LogRecovery.openNew(this, created, listeners.open(n)), config.cacheMode()));
        return info;
    }

    private Path snapshotViews() {
        return config.dataDir().resolve("snapshot-views");
    }

    @Override
    public SnapshotVolume openSnapshot(String volume, String snapshot) {
        checkOpen();
        checkName(volume);
        if (!registry.contains(volume) && manifests.readLatest(volume).isEmpty()) {
            throw new VolumeNotFoundException("no volume '" + volume + "'");
        }
        VolumeManifest m = manifestOf(volume);
        VolumeManifest.Snapshot s = m.snapshot(snapshot);
        if (s == null) {
            throw new VolumeNotFoundException("volume '" + volume + "' has no snapshot '" + snapshot + "'");
        }
        Path dir = snapshotViews().resolve(volume + "@" + s.id() + "-" + viewIds.incrementAndGet());
        return new SnapshotVolume(this, m, snapshot, dir, config.cacheMode());
    }

    @Override
    public ChangedRanges changes(String volume, String from, String to, long start, long length, int limit) {
        checkOpen();
        checkName(volume);
        if (!registry.contains(volume) && manifests.readLatest(volume).isEmpty()) {
            throw new VolumeNotFoundException("no volume '" + volume + "'");
        }
        return SnapshotChanges.between(this, manifestOf(volume), from, to, start, length, limit);
    }

    @Override
    public synchronized VolumeInfo resize(String name, long sizeBytes, boolean force) {
        LocalVolume v = open(name);
        v.resize(sizeBytes, force);
        return infoOf(v.manifest());
    }

    @Override
    public synchronized VolumeInfo resetToParent(String clone) {
        LocalVolume v = open(clone);
        v.clones().resetToParent();
        return infoOf(v.manifest());
    }

    @Override
    public HydrationStep hydrate(String clone, long fromCluster, int maxClusters) {
        checkOpen();
        checkName(clone);
        return open(clone).clones().hydrate(fromCluster, maxClusters);
    }

    /**
     * Flattens the clone, then waits (at most {@link VolumeRemoval#DELETE_UPLOAD_WAIT}) until the backend holds the
     * manifest without a parent, so that a template deleted after this returns is never needed again.
     *
     * @throws VolumeException if the backend did not take the manifest in time (the uploader keeps trying)
     */
    @Override
    public VolumeInfo flatten(String clone) {
        LocalVolume v;
        synchronized (this) {
            checkOpen();
            checkName(clone);
            v = open(clone);
            v.clones().flatten();
        }
        if (!uploader.awaitIdle(VolumeRemoval.DELETE_UPLOAD_WAIT)) {
            throw new io.scoria.accelerator.VolumeException("clone '" + clone + "' is flattened on this router, but the backend"
                    + " has not taken its manifest within " + VolumeRemoval.DELETE_UPLOAD_WAIT.toSeconds() + " s (the router keeps trying);"
                    + " keep its former parent until `scoria volume show " + clone + "` on another router shows no parent");
        }
        return infoOf(v.manifest());
    }

    /** Waits until every queued upload is on the backend; false on timeout. */
    public boolean awaitUploads(Duration timeout) {
        return uploader.awaitIdle(timeout);
    }

    /** Closes the open volume (sealing and queueing its data); it reopens on the next {@link #open}. */
    public synchronized void closeVolume(String name) {
        LocalVolume v = open.remove(name);
        if (v != null) {
            v.close();
            if (v.isReplica()) {
                removal.discardLocalState(name);
            } else {
                closedUploads.closed(name, v.uploads());
            }
        }
    }

    /**
     * Forgets this node's local copy of a volume that is not open (its metadata, TLogs and cached
     * SCOs on local flash), so that the next {@link #open} rebuilds it from the backend. For a node
     * that takes over a volume another node owned since: its local copy is older than the backend.
     *
     * @throws VolumeConflictException if the volume is open on this node
     */
    public synchronized void forgetLocal(String name) {
        checkName(name);
        removal.forgetLocal(name);
    }

    /** Test hook: drops every open volume as {@code kill -9} would (nothing sealed, no clean marker). */
    synchronized void crash() {
        closed = true;
        if (tlogAge != null) {
            tlogAge.close();
        }
        for (LocalVolume v : open.values()) {
            v.crash();
        }
        open.clear();
        uploader.close();
        scoCache.close();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (tlogAge != null) {
            tlogAge.close();
        }
        for (LocalVolume v : open.values()) {
            v.close();
            if (v.isReplica()) {
                removal.discardLocalState(v.manifest().config().namespace());
            }
        }
        open.clear();
        uploader.awaitIdle(Duration.ofSeconds(5));
        closed = true;
        uploader.close();
        parentMaps.close();
        scoCache.close();
        clusterCache.close();
    }
}
