package io.scoria.accelerator.scrub;

import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeUse;
import io.scoria.accelerator.volume.LocalVolume;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.BackendException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.sco.scrub.ScrubResultAppliedException;
import io.scoria.sco.scrub.StaleScrubResultException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Picks up scrub results ({@code scrub/result/*} in a volume's namespace, written by
 * {@code scoria-scrub}) and applies them to the router's volumes: relocations where the LBA
 * still points at the old location, the manifest's TLogs swapped atomically. The obsolete SCOs
 * and TLogs are deleted from the local caches and the backend only after a grace period and
 * once the published manifest no longer names them; the result object is deleted last, so a
 * router that restarts in between finishes the clean-up (an already applied result is refused
 * for application but cleaned up). A stale result (rollback or snapshot deletion since the
 * scrub) is refused and its outputs are removed. The result is read and checked and the new
 * manifest forced without the volume's write lock; the relocations are a paced background
 * activity ({@link RelocationPacing}: batches under the write lock, with pauses that keep the
 * applier busy for at most the duty cycle). Polls every {@code pollInterval}; thread-safe
 * (applies to one volume run one at a time).
 */
public final class ScrubApplier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScrubApplier.class);

    /** What happened to one result. */
    public record Outcome(String volume, String result, String status, int relocated, String message) {
    }

    private final LocalVolumeService service;
    private final ObjectStore store;
    private final Duration grace;
    private final RelocationPacing pacing;
    private final VolumeUse use;
    private final ScheduledExecutorService scheduler;
    private volatile boolean closed;
    /** One lock per namespace, so that applies to one volume are serialised. */
    private final java.util.concurrent.ConcurrentMap<String, Object> applying = new java.util.concurrent.ConcurrentHashMap<>();
    /** Results ({@code namespace/key}) applied in this process whose clean-up is scheduled. */
    private final Set<String> cleaningUp = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param grace        how long obsolete objects stay after apply (in-flight reads may still
     *                     use old locations)
     * @param pollInterval how often results are looked for; null or zero: only on request
     */
    public ScrubApplier(LocalVolumeService service, Duration grace, Duration pollInterval) {
        this(service, grace, pollInterval, RelocationPacing.defaults());
    }

    /**
     * @param grace        how long obsolete objects stay after apply (in-flight reads may still
     *                     use old locations)
     * @param pollInterval how often results are looked for; null or zero: only on request
     * @param pacing       how fast relocations are applied
     */
    public ScrubApplier(LocalVolumeService service, Duration grace, Duration pollInterval, RelocationPacing pacing) {
        this(service, grace, pollInterval, pacing, VolumeUse.NONE);
    }

    /**
     * @param grace        how long obsolete objects stay after apply (in-flight reads may still
     *                     use old locations)
     * @param pollInterval how often results are looked for; null or zero: only on request
     * @param pacing       how fast relocations are applied
     * @param use          wraps each apply and clean-up of a volume (an idle close waits for it)
     */
    public ScrubApplier(LocalVolumeService service, Duration grace, Duration pollInterval, RelocationPacing pacing,
                        VolumeUse use) {
        this.service = java.util.Objects.requireNonNull(service, "service");
        this.use = java.util.Objects.requireNonNull(use, "use");
        this.store = service.store();
        this.grace = java.util.Objects.requireNonNull(grace, "grace");
        this.pacing = java.util.Objects.requireNonNull(pacing, "pacing");
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scrub-applier");
            t.setDaemon(true);
            return t;
        });
        if (pollInterval != null && !pollInterval.isZero()) {
            scheduler.scheduleWithFixedDelay(this::pollAll, pollInterval.toMillis(), pollInterval.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** The engine whose volumes this applier applies results to. */
    public LocalVolumeService service() {
        return service;
    }

    /** What marks work on a volume below the service stack as a use of it (an idle close waits for it). */
    public VolumeUse use() {
        return use;
    }

    /**
     * Applies every pending result of {@code volume} now; returns what happened to each (nothing is
     * applied to a replica: one outcome {@code replica}). Applies
     * to one volume run one at a time; different volumes do not wait for each other.
     */
    public List<Outcome> applyPending(String volume) {
        VolumeInfo info = service.info(volume).orElseThrow(() ->
                new io.scoria.accelerator.VolumeNotFoundException("no volume '" + volume + "'"));
        if (service.isReplica(volume)) {
            return List.of(new Outcome(volume, "-", "replica", 0, "a replica is not changed here: scrub results are "
                    + "applied on the site that writes the volume"));
        }
        // in a cluster only the volume's owner applies (relocations, deletes of obsolete objects)
        service.ownership().check(info.namespace(), service.ownership().epoch(info.namespace()));
        synchronized (applying.computeIfAbsent(info.namespace(), ns -> new Object())) {
            return use.during(volume, () -> {
                List<Outcome> outcomes = new ArrayList<>();
                for (ObjectInfo o : store.listAll(info.namespace(), ScrubResult.PREFIX)) {
                    outcomes.add(applyOne(volume, info.namespace(), o.key()));
                }
                return outcomes;
            });
        }
    }

    private Outcome applyOne(String volume, String ns, String key) {
        if (cleaningUp.contains(ns + "/" + key)) {
            return new Outcome(volume, key, "already-applied", 0, "applied; its obsolete objects are deleted after the grace period");
        }
        ScrubResult result;
        try {
            result = ScrubResult.decode(store.get(ns, key), store.name() + ":" + ns + "/" + key);
        } catch (BackendException e) {
            LOG.error("scrub result {}/{} is unreadable, not applied: {}", ns, key, e.getMessage());
            return new Outcome(volume, key, "corrupt", 0, e.getMessage());
        }
        LocalVolume v = service.open(volume);
        try {
            v.applyScrubManifest(result);
        } catch (ScrubResultAppliedException e) {
            // applied before a restart: the relocations may not all have been made; they are idempotent
            int moved = relocateAll(v, result);
            if (moved < 0) {
                return interrupted(volume, key);
            }
            scheduleCleanUp(volume, ns, result, grace);
            if (moved > 0) {
                LOG.info("volume {}: finished the relocations of scrub result {}: {} LBAs moved", volume, key, moved);
            }
            return new Outcome(volume, key, "already-applied", 0, e.getMessage());
        } catch (StaleScrubResultException e) {
            LOG.warn("volume {}: scrub result {} refused: {}", volume, key, e.getMessage());
            discardOutputs(ns, result, v.manifest());
            return new Outcome(volume, key, "stale", 0, e.getMessage());
        }
        long start = System.nanoTime();
        int moved = relocateAll(v, result);
        if (moved < 0) {
            return interrupted(volume, key);
        }
        LOG.info("volume {}: applied scrub result {}: {} of {} relocations applied in {} ms, {} SCOs obsolete ({} MiB to reclaim)",
                volume, key, moved, result.relocationCount(), (System.nanoTime() - start) / 1_000_000,
                result.obsoleteScos().size(), result.reclaimedBytes() >> 20);
        scheduleCleanUp(volume, ns, result, grace);
        return new Outcome(volume, key, "applied", moved, "");
    }

    private static Outcome interrupted(String volume, String key) {
        LOG.info("volume {}: relocations of scrub result {} interrupted by shutdown; they finish at the next apply",
                volume, key);
        return new Outcome(volume, key, "interrupted", 0, "the router is closing; the relocations finish at the next apply");
    }

    /**
     * Applies all relocations of {@code result}, paced. The clean-up must not be scheduled
     * unless this completed: LBAs not yet moved still point into the obsolete SCOs.
     *
     * @return the number of LBAs moved, or -1 if interrupted (applier closing) before the end
     */
    private int relocateAll(LocalVolume v, ScrubResult result) {
        int moved = 0;
        int count = result.relocationCount();
        for (int from = 0; from < count; from += pacing.batch()) {
            if (closed || Thread.currentThread().isInterrupted()) {
                return -1;
            }
            long start = System.nanoTime();
            moved += v.relocate(result, from, Math.min(count, from + pacing.batch()));
            long pause = pacing.pauseNanos(System.nanoTime() - start);
            if (pause > 0 && from + pacing.batch() < count) {
                LockSupport.parkNanos(pause);
            }
        }
        return moved;
    }

    private void scheduleCleanUp(String volume, String ns, ScrubResult result, Duration delay) {
        cleaningUp.add(ns + "/" + result.key());
        scheduler.schedule(() -> cleanUp(volume, ns, result), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Deletes the obsolete objects once the backend manifest no longer names them. */
    private void cleanUp(String volume, String ns, ScrubResult result) {
        try {
            Optional<VolumeManifest> published = service.manifests().readLatest(ns);
            Set<Long> named = new HashSet<>(published.map(VolumeManifest::allTlogs).orElse(List.of()));
            if (result.obsoleteTlogs().stream().anyMatch(named::contains)) {
                scheduleCleanUp(volume, ns, result, grace.isZero() ? Duration.ofMillis(200) : grace);
                return;
            }
            List<Long> scoIds = new ArrayList<>();
            for (String k : result.obsoleteScos()) {
                scoIds.add(scoId(k));
            }
            use.run(volume, () -> service.open(volume).dropScrubbed(scoIds, result.obsoleteTlogs()));
            for (String k : result.obsoleteScos()) {
                store.delete(ns, k);
            }
            for (long t : result.obsoleteTlogs()) {
                store.delete(ns, NamespaceLayout.tlogKey(t));
            }
            store.delete(ns, result.key());
            cleaningUp.remove(ns + "/" + result.key());
            LOG.info("volume {}: scrub result {} cleaned up: {} SCOs and {} TLogs deleted", volume, result.key(),
                    result.obsoleteScos().size(), result.obsoleteTlogs().size());
        } catch (RuntimeException e) {
            LOG.warn("volume {}: clean-up of scrub result {} failed, retrying later: {}", volume, result.key(), e.getMessage());
            scheduleCleanUp(volume, ns, result, grace.isZero() ? Duration.ofSeconds(1) : grace);
        }
    }

    /** A refused result: its new objects are referenced by nothing; remove them and the result. */
    private void discardOutputs(String ns, ScrubResult result, VolumeManifest current) {
        Set<Long> named = new HashSet<>(current.allTlogs());
        for (ScrubResult.Segment s : result.segments()) {
            if (s.changed()) {
                for (long t : s.newTlogs()) {
                    if (!named.contains(t)) {
                        store.delete(ns, NamespaceLayout.tlogKey(t));
                    }
                }
            }
        }
        if (result.segments().stream().filter(ScrubResult.Segment::changed)
                .flatMap(s -> s.newTlogs().stream()).noneMatch(named::contains)) {
            result.newScos().forEach(k -> store.delete(ns, k));
        }
        store.delete(ns, result.key());
    }

    private void pollAll() {
        try {
            for (VolumeInfo v : service.list()) {
                if (service.ownership().epoch(v.namespace()) == 0) {
                    continue; // owned by another node of the cluster: its owner applies its results
                }
                if (!store.list(v.namespace(), ScrubResult.PREFIX, null, 1).objects().isEmpty()) {
                    applyPending(v.name());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("scrub result poll failed, retrying at the next poll: {}", e.getMessage());
        }
    }

    private static long scoId(String key) {
        long number = NamespaceLayout.scoNumber(key);
        int version = Integer.parseInt(key.substring(key.length() - 2), 16);
        return ClusterLocation.of(number, version, 0, 0);
    }

    /** Waits until scheduled clean-ups that are due within {@code timeout} have run. */
    public void drain(Duration timeout) throws Exception {
        scheduler.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
    }
}
