package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocEntryFormat;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.FocUnavailableException;
import io.scoria.accelerator.foc.OwnerEpochs;
import io.scoria.accelerator.foc.client.FailoverCaches;
import io.scoria.accelerator.foc.sealed.FocEntrySeal;
import io.scoria.accelerator.foc.sealed.SealedFailoverCache;
import io.scoria.accelerator.metrics.VolumeMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link VolumeService} decorator that puts every volume of the engine behind its fail-over
 * cache (FOC): the engine was built with the {@link FocHooks} given here, so each volume it opens
 * has its own write hook, which this service binds to the volume's FOC link ({@link VolumeBinding})
 * on {@link #open}; {@link #open} returns a {@link FocVolume}.
 *
 * <p>Opening a volume:
 * <ol>
 * <li>opens it in the engine (which restarts from local flash, or rebuilds from the backend);</li>
 * <li>registers with the FOC as a new owner: it claims the FOC's next owner epoch (a counter, see
 * {@link io.scoria.accelerator.foc.OwnerEpochs}); every open is a new owner;</li>
 * <li>if this node's {@code stateDir} has no marker for the volume (local flash lost, or a new data
 * directory), replays the FOC's entries in write order into the volume before serving it, then
 * writes the marker. With the marker, local flash survived and the engine's own restart has every
 * acknowledged write, including those the FOC may lack (async mode, or written while DEGRADED);
 * replaying older FOC entries over them would be wrong, so they are not replayed.</li>
 * </ol>
 * If a replay is needed and the FOC cannot be reached, the open fails (and can be retried) rather
 * than serve a volume that may miss acknowledged writes.
 *
 * <p>Where each volume's FOC is comes from the {@link FocPlacement}: one server for all ({@code foc.address},
 * as above), or per volume on a cluster node ({@link FocPlacement#movable()}: the open then goes through
 * {@link MovableFocOpen}, and {@link #retarget} moves an open volume's FOC to another server).
 *
 * <p>{@link #info} and {@link #list} report {@code DEGRADED} (or {@code FENCED}) for an open
 * volume whose FOC is not OK. Thread-safe; {@link #close()} is idempotent and closes the engine.
 */
public final class FocVolumeService implements VolumeService {
    private static final Logger LOG = LoggerFactory.getLogger(FocVolumeService.class);

    private final VolumeService engine;
    private final FocHooks hooks;
    private final FocWiringConfig config;
    private final VolumeMetrics metrics;
    private final FocEntryKeys keys;
    private final Map<String, FocVolume> open = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * As {@link #FocVolumeService(VolumeService, FocHooks, FocWiringConfig, VolumeMetrics, FocEntryKeys)}, with
     * the keys of {@code engine} when it is a {@link io.scoria.accelerator.volume.LocalVolumeService}, else none.
     */
    public FocVolumeService(VolumeService engine, FocHooks hooks, FocWiringConfig config, VolumeMetrics metrics) {
        this(engine, hooks, config, metrics, engine instanceof io.scoria.accelerator.volume.LocalVolumeService local
                ? local::flashKey : FocEntryKeys.NONE);
    }

    /**
     * @param engine   the engine, built with {@code hooks} as its write listener factory (now owned here)
     * @param metrics  told of each open volume's FOC state (the per-volume degraded gauge); may be null
     * @param keys     the keys of encrypted volumes, whose FOC entries are sealed with them
     *                 ({@link SealedFailoverCache}); the others' stay clear
     */
    public FocVolumeService(VolumeService engine, FocHooks hooks, FocWiringConfig config, VolumeMetrics metrics,
                            FocEntryKeys keys) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.hooks = Objects.requireNonNull(hooks, "hooks");
        this.config = Objects.requireNonNull(config, "config");
        this.metrics = metrics;
        try {
            Files.createDirectories(config.stateDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create FOC state directory " + config.stateDir(), e);
        }
    }

    /**
     * The volume's key at the FOC (and of its local marker): {@code NAME.VOLUMEID}, so that the entries of
     * a deleted volume can never be replayed into a later volume of the same name, nor collide with a
     * volume of another deployment on a shared FOC server; just the name for a volume made before
     * volumes had unique ids (its entries are where they always were).
     */
    static String focKey(VolumeInfo info) {
        return info.volumeId() == null ? info.name() : info.name() + "." + info.volumeId();
    }

    private String focKey(String name) {
        return focKey(engine.info(name).orElseThrow(() -> new io.scoria.accelerator.VolumeNotFoundException(
                "no volume named '" + name + "'")));
    }

    private Path marker(String key) {
        return config.stateDir().resolve(key + ".bound");
    }

    private void writeMarker(String key) {
        Path m = marker(key);
        try (FileChannel ch = FileChannel.open(m, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.force(true);
            try (FileChannel dir = FileChannel.open(config.stateDir(), StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write FOC marker " + m, e);
        }
    }

    private VolumeInfo withState(VolumeInfo i) {
        FocVolume v = open.get(i.name());
        if (v == null) {
            return i;
        }
        FocState s = v.focState();
        String state = s == FocState.OK ? i.state() : s.name();
        return i.withState(state);
    }

    @Override
    public VolumeInfo create(String name, VolumeSpec spec, String project) {
        VolumeInfo i = engine.create(name, spec, project);
        writeMarker(focKey(i));
        return i;
    }

    @Override
    public List<VolumeInfo> list() {
        return engine.list().stream().map(this::withState).toList();
    }

    @Override
    public List<VolumeInfo> list(String after, int limit) {
        return engine.list(after, limit).stream().map(this::withState).toList();
    }

    @Override
    public Optional<VolumeInfo> info(String name) {
        return engine.info(name).map(this::withState);
    }

    @Override
    public FocVolume open(String name) {
        if (closed) {
            throw new IllegalStateException("volume service is closed");
        }
        return open.computeIfAbsent(name, this::bindAndOpen);
    }

    /** The seal of an encrypted volume's FOC entries, or null when its entries stay clear. */
    private FocEntrySeal sealOf(VolumeInfo info) {
        return keys.of(info.namespace()).map(k -> new FocEntrySeal(info.name(), k, info.spec().clusterSize())).orElse(null);
    }

    /** A link to the FOC at {@code at}, sealing entries with {@code seal} when it is not null. */
    private FailoverCache link(String at, String key, int clusterSize, long epoch, boolean hold, FocEntrySeal seal) {
        FocClientConfig c = config.clientConfig(at, key, clusterSize, epoch);
        if (seal == null || config.mode() == FocMode.NONE) {
            return FailoverCaches.create(config.mode(), c, hold, config.ackBound(), config.tls());
        }
        return new SealedFailoverCache(FailoverCaches.create(config.mode(), c.withEntryFormat(FocEntryFormat.SEALED), hold,
                config.ackBound(), config.tls()), seal);
    }

    /** @param hold acknowledgements and flushes wait out DEGRADED (a served volume of a cluster node) */
    private FailoverCache connect(String key, String at, int clusterSize, long ownerEpoch, boolean hold, FocEntrySeal seal,
                                  long[] epochOut) {
        long epoch = ownerEpoch;
        for (int attempt = 0; ; attempt++) {
            try {
                FailoverCache c = link(at, key, clusterSize, epoch, hold, seal);
                epochOut[0] = epoch;
                return c;
            } catch (FocFencedException e) {
                if (attempt >= 3 || ownerEpoch != OwnerEpochs.CLAIM) {
                    throw new VolumeException("volume '" + key + "': the fail-over cache " + at + " refuses owner epoch "
                            + epoch + ": " + e.getMessage(), e);
                }
                LOG.warn("volume {}: FOC holds owner epoch {} (clock skew?); registering with a larger one", key,
                        e.currentEpoch());
                epoch = OwnerEpochs.next(e.currentEpoch());
            }
        }
    }

    private FocVolume bindAndOpen(String name) {
        Volume v = engine.open(name);
        VolumeInfo info = engine.info(name).orElseThrow(() -> new io.scoria.accelerator.VolumeNotFoundException(
                "no volume named '" + name + "'"));
        String key = focKey(info);
        FocEntrySeal seal = sealOf(info);
        FocPlacement placement = config.placement();
        String at = placement.place(name);
        long[] epoch = new long[1];
        FailoverCache cache = connect(key, at, v.clusterSize(), placement.ownerEpoch(name), config.holdWhileDegraded(),
                seal, epoch);
        VolumeBinding b;
        try {
            b = new VolumeBinding(name, cache, v.clusterSize(), epoch[0]);
            hooks.bind(b);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        String from = placement.movable() ? placement.previous(name) : null;
        try {
            if (placement.movable()) {
                MovableFocOpen.prepare(v, b, from, at, () -> link(from, key, v.clusterSize(), placement.ownerEpoch(name),
                        false, seal),
                        config.stateDir().resolve(key + ".replay"));
            } else if (!Files.exists(marker(key)) && !v.isReadOnly()) {
                b.replaying(true);
                try {
                    long t0 = System.nanoTime();
                    long n = ReplaySpool.replay(cache, v, config.stateDir().resolve(key + ".replay"));
                    v.flush();
                    LOG.info("volume {}: local state is new; replayed {} fail-over cache entries in {} ms", name, n,
                            (System.nanoTime() - t0) / 1_000_000);
                } finally {
                    b.replaying(false);
                }
            }
            writeMarker(key);
            placement.placed(name, at);
        } catch (FocUnavailableException e) {
            unbind(b);
            throw new VolumeException("cannot open volume '" + name + "': its local state is new and the fail-over cache "
                    + (from != null ? from : at) + " is unreachable, so acknowledged writes it holds cannot be recovered "
                    + "yet; retry when it is back (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            unbind(b);
            throw e;
        }
        FocVolume fv = new FocVolume(v, b, config.mode(), config.ackBound(), config.holdWhileDegraded(),
                () -> closeVolume(name));
        if (metrics != null) {
            metrics.focOpened(name, () -> fv.focState() != FocState.OK);
        }
        LOG.info("volume {}: fail-over cache {} ({}), owner epoch {}", name, at, config.mode().configName(), epoch[0]);
        return fv;
    }

    private void unbind(VolumeBinding b) {
        hooks.unbind(b);
        b.cache().close();
        if (metrics != null) {
            metrics.focClosed(b.name());
        }
    }

    /** The open volumes whose fail-over cache is not OK (DEGRADED, FENCED or CLOSED), sorted. */
    public List<String> degradedVolumes() {
        return open.entrySet().stream().filter(e -> e.getValue().focState() != FocState.OK).map(Map.Entry::getKey)
                .sorted().toList();
    }

    /** The fail-over cache address this service links volumes to (null when placed per volume). */
    public String focAddress() {
        return config.address();
    }

    /** The FOC server the open volume {@code name} mirrors to now, or null if it is not open here. */
    public String focServer(String name) {
        FocVolume v = open.get(name);
        return v == null ? null : v.binding().cache().server();
    }

    /** The FOC state of the open volume {@code name}, or null if it is not open here. */
    public FocState focState(String name) {
        FocVolume v = open.get(name);
        return v == null ? null : v.focState();
    }

    /**
     * Moves the open volume's fail-over cache to the server at {@code address} (its node left the cluster, or
     * it stayed unreachable), in three steps: acknowledgements are gated (none completes, not even one the
     * new server gave); the client moves and re-sends every entry not yet on the backend, and the new server
     * drops what earlier opens left; once it acknowledged all of them ({@code OK} within {@code within}) the
     * placement records the move, and only then does the gate open. So at every moment the recorded server
     * holds every acknowledged write. Writes are taken meanwhile. No-op if the volume is not open here.
     *
     * @throws FocUnavailableException if the new server did not take everything within {@code within} (the gate
     *         stays closed: the next move, to another server, opens it)
     */
    public void retarget(String name, String address, java.time.Duration within) {
        FocVolume v = open.get(name);
        if (v == null) {
            return;
        }
        VolumeBinding b = v.binding();
        FailoverCache cache = b.cache();
        cache.gateAcknowledgements(true);
        cache.retarget(address, b.tagBase() - 1);
        long deadline = System.nanoTime() + within.toNanos();
        while (!cache.okAt(address)) {
            if (cache.state() == FocState.FENCED || cache.state() == FocState.CLOSED) {
                throw new VolumeException("volume '" + name + "': its fail-over cache is " + cache.state()
                        + "; not moved to " + address);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new FocUnavailableException("volume '" + name + "': the FOC server " + address + " did not take "
                        + "the volume's entries within " + within);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FocUnavailableException("interrupted while moving the FOC of volume '" + name + "'");
            }
        }
        config.placement().placed(name, address);
        cache.gateAcknowledgements(false);
        LOG.info("volume {}: fail-over cache moved to {}", name, address);
    }

    /** Closes the open volume (in the engine, if it supports that) and its FOC link. */
    public void closeVolume(String name) {
        FocVolume v = open.remove(name);
        if (v == null) {
            return;
        }
        try {
            if (engine instanceof io.scoria.accelerator.volume.LocalVolumeService local) {
                local.closeVolume(name);
            }
        } finally {
            unbind(v.binding());
        }
    }

    /**
     * Forgets this node's marker of a volume whose local copy the engine forgot (another node of a
     * cluster owned it since): its next open replays the FOC's entries, as after a loss of local flash.
     */
    public void forgetMarker(String name) {
        closeVolume(name);
        Path m = marker(focKey(name));
        try {
            Files.deleteIfExists(m);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete FOC marker " + m, e);
        }
    }

    @Override
    public void delete(String name) {
        String key = engine.info(name).map(FocVolumeService::focKey).orElse(name);
        FocVolume v = open.remove(name);
        if (v != null) {
            try {
                v.binding().dropAll();
            } finally {
                unbind(v.binding());
            }
        } else if (engine.info(name).isPresent()) {
            long[] epoch = new long[1];
            String at = config.placement().previous(name);
            // not holding: a deleted volume's entries need not survive; an unreachable FOC keeps them until it is back
            VolumeInfo info = engine.info(name).get();
            FocEntrySeal seal = null;
            try {
                seal = sealOf(info);
            } catch (io.scoria.backend.transform.WrongKeyException e) {
                LOG.warn("volume {}: its data key cannot be unwrapped ({}), so its fail-over cache entries at {} are left"
                        + " there: they are sealed, and keyed by the volume's id, so never replayed into another volume",
                        name, e.getMessage(), at);
                at = null;
            }
            try (FailoverCache c = at == null ? FailoverCaches.none() : connect(key, at, info.spec().clusterSize(),
                    config.placement().ownerEpoch(name), false, seal, epoch)) {
                VolumeBinding b = new VolumeBinding(name, c, engine.info(name).get().spec().clusterSize(), epoch[0]);
                b.dropAll();
                c.flush();
            }
        }
        engine.delete(name);
        try {
            Files.deleteIfExists(marker(key));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete FOC marker " + marker(key), e);
        }
    }

    @Override
    public VolumeInfo makeTemplate(String name) {
        return withState(engine.makeTemplate(name));
    }

    @Override
    public VolumeInfo clone(String parent, String snapshot, String cloneName, String project) {
        VolumeInfo i = engine.clone(parent, snapshot, cloneName, project);
        writeMarker(focKey(i));
        return i;
    }

    /** Snapshot views are never written, so they need no fail-over cache: the engine's view as is. */
    @Override
    public ChangedRanges changes(String volume, String from, String to, long start, long length, int limit) {
        return engine.changes(volume, from, to, start, length, limit);
    }

    @Override
    public Volume openSnapshot(String volume, String snapshot) {
        return engine.openSnapshot(volume, snapshot);
    }

    @Override
    public VolumeInfo resize(String name, long sizeBytes, boolean force) {
        return withState(engine.resize(name, sizeBytes, force));
    }

    @Override
    public java.util.Optional<io.scoria.backend.metering.RequestLedger> backendRequests() {
        return engine.backendRequests();
    }

    @Override
    public VolumeInfo resetToParent(String clone) {
        FocVolume v = open(clone);
        VolumeInfo[] out = new VolumeInfo[1];
        v.resetExclusive(() -> out[0] = engine.resetToParent(clone));
        return withState(out[0]);
    }

    /** Opens the clone here first, so that the engine's appends of a step go through a bound FOC hook. */
    @Override
    public io.scoria.accelerator.HydrationStep hydrate(String clone, long fromCluster, int maxClusters) {
        open(clone);
        return engine.hydrate(clone, fromCluster, maxClusters);
    }

    @Override
    public VolumeInfo flatten(String clone) {
        return withState(engine.flatten(clone));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            engine.close();
        } finally {
            for (FocVolume v : open.values()) {
                unbind(v.binding());
            }
            open.clear();
        }
    }
}
