package io.scoria.scrubber;

import io.scoria.backend.BackendException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.sco.tlog.TLogReader;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The scrub job (DESIGN.md, "Scrubber"): reads a namespace's manifest, TLogs and SCOs from the
 * backend, rewrites SCOs with little live data, and writes a {@link ScrubResult} for the router
 * to apply. It never modifies or deletes an object the volume uses: it only adds new SCOs and
 * TLogs and the result, so a crash at any point loses nothing; the next run removes what a
 * killed run wrote (see {@link WorkJournal}). Runs anywhere the backend is reachable.
 *
 * <p>Scope: snapshots on the backend that are not yet scrubbed (or the ones named in the
 * config), oldest first, excluding every snapshot at or before one that a clone was created
 * from: those SCOs stay exactly as they are while a clone may read them. TLogs after the last
 * snapshot belong to the running router and are never scrubbed; SCOs they reference are
 * protected. Memory: one SCO in, one SCO out, the TLogs of one snapshot, and a bitmap of the
 * volume's clusters in the scratch directory.
 */
public final class Scrubber {
    private final ObjectStore store;
    private final ScrubConfig config;
    private final PrintStream out;
    private final BooleanSupplier stopRequested;

    public Scrubber(ObjectStore store, ScrubConfig config, PrintStream progress) {
        this(store, config, progress, () -> false);
    }

    /**
     * A scrub that stops between two SCOs once {@code stopRequested} says so (a worker asked to
     * stop), removing what it wrote and throwing {@link ScrubStoppedException}.
     */
    public Scrubber(ObjectStore store, ScrubConfig config, PrintStream progress, BooleanSupplier stopRequested) {
        this.store = store;
        this.config = config;
        this.out = progress;
        this.stopRequested = stopRequested;
    }

    /** Runs the job; throws {@link ScrubException} naming the namespace and object on failure. */
    public ScrubReport run() {
        String ns = config.namespace();
        if (!store.namespaceExists(ns)) {
            throw new ScrubException("namespace '" + ns + "' does not exist on " + store.name());
        }
        try (ScrubLease lease = ScrubLease.acquire(store, ns, config.leaseTtl())) {
            return run(lease);
        } catch (BackendException e) {
            throw new ScrubException("scrub of '" + ns + "' stopped, nothing was deleted: " + e.getMessage(), e);
        }
    }

    /** Runs the job under {@code lease}, which the caller took for the namespace and releases. */
    ScrubReport run(ScrubLease lease) {
        long start = System.nanoTime();
        String ns = config.namespace();
        try {
            VolumeManifestStore manifests = new VolumeManifestStore(store);
            VolumeManifest manifest = manifests.readLatest(ns).orElseThrow(() -> new ScrubException(
                    "namespace '" + ns + "' on " + store.name() + " has no volume manifest: not a Scoria volume"));
            cleanUpAfterDeadJob(manifest);

            List<VolumeManifest.Snapshot> todo = select(manifest);
            if (todo.isEmpty()) {
                out.println("scrub " + ns + ": nothing to scrub (no unscrubbed snapshot on the backend)");
                return new ScrubReport(null, 0, 0, 0, 0, 0, 0, seconds(start));
            }
            Set<Long> protectedScos = referencedOutside(manifest, todo);
            String id = "g" + manifest.generation() + "-s" + todo.get(0).id() + "-" + todo.get(todo.size() - 1).id();
            return scrub(manifest, todo, protectedScos, id, lease, start);
        } catch (BackendException e) {
            throw new ScrubException("scrub of '" + ns + "' stopped, nothing was deleted: " + e.getMessage(), e);
        }
    }

    private ScrubReport scrub(VolumeManifest manifest, List<VolumeManifest.Snapshot> todo, Set<Long> protectedScos,
                              String id, ScrubLease lease, long start) {
        String ns = config.namespace();
        Path scratch = scratchDir();
        WorkJournal journal = new WorkJournal(store, ns, ScrubResult.key(id));
        LongList relocations = new LongList();
        long[] lastRenew = {System.nanoTime()};
        Runnable heartbeat = () -> {
            if (stopRequested.getAsBoolean()) {
                throw new ScrubStoppedException("scrub of '" + ns + "' stopped on request; its partial outputs are removed");
            }
            if (System.nanoTime() - lastRenew[0] > config.leaseTtl().toNanos() / 3) {
                lease.renew();
                lastRenew[0] = System.nanoTime();
            }
        };
        List<ScrubResult.Segment> segments = new ArrayList<>();
        List<String> newScos = new ArrayList<>();
        List<String> obsoleteScos = new ArrayList<>();
        List<Long> obsoleteTlogs = new ArrayList<>();
        long examined = 0;
        long reclaimed = 0;
        int scos = 0;
        int rewritten = 0;
        boolean done = false;
        try (LbaBitmap lbas = new LbaBitmap(scratch.resolve("lba.bitmap"), manifest.config().clusters())) {
            SegmentScrubber segmentScrubber = new SegmentScrubber(store, ns, manifest.config(), scratch,
                    config.liveThreshold(), protectedScos, journal, lbas, relocations, heartbeat);
            for (VolumeManifest.Snapshot snap : todo) {
                SegmentScrubber.Outcome o = segmentScrubber.scrub(snap);
                segments.add(o.segment());
                newScos.addAll(o.newScos());
                obsoleteScos.addAll(o.obsoleteScos());
                obsoleteTlogs.addAll(o.obsoleteTlogs());
                examined += o.examinedBytes();
                reclaimed += o.reclaimedBytes();
                scos += o.scosExamined();
                rewritten += o.scosRewritten();
                out.printf("scrub %s: snapshot %s: %d TLogs, %d SCOs examined (%.1f MiB), %d rewritten, %.1f MiB reclaimable%n",
                        ns, snap.name(), snap.tlogs().size(), o.scosExamined(), o.examinedBytes() / 1048576.0,
                        o.scosRewritten(), o.reclaimedBytes() / 1048576.0);
            }
            ScrubResult result = new ScrubResult(id, ns, manifest.generation(), segments, newScos, obsoleteScos,
                    obsoleteTlogs, examined, reclaimed, relocations.toArray());
            store.put(ns, result.key(), result.encode());
            journal.finish();
            done = true;
            ScrubReport report = new ScrubReport(result.key(), segments.size(), scos, rewritten, examined, reclaimed,
                    result.relocationCount(), seconds(start));
            out.printf("scrub %s: done in %.1f s: %d snapshots, %d SCOs examined (%.1f MiB, %.1f MiB/s), %d rewritten,"
                            + " %d clusters relocated, %.1f MiB reclaimable after apply; result %s%n",
                    ns, report.seconds(), report.segments(), scos, examined / 1048576.0, report.examinedMiBPerSecond(),
                    rewritten, report.relocations(), reclaimed / 1048576.0, result.key());
            return report;
        } finally {
            if (!done) {
                removeOutputs(journal.outputs());
            }
            deleteTree(scratch);
        }
    }

    /** Unscrubbed snapshots in scope, oldest first, stopping before a snapshot a clone depends on. */
    private List<VolumeManifest.Snapshot> select(VolumeManifest manifest) {
        String ns = config.namespace();
        for (String wanted : config.snapshots()) {
            if (manifest.snapshot(wanted) == null) {
                throw new ScrubException("namespace '" + ns + "' has no snapshot '" + wanted + "' on the backend");
            }
        }
        long pinnedThrough = pinnedByClones(manifest);
        List<VolumeManifest.Snapshot> todo = new ArrayList<>();
        for (VolumeManifest.Snapshot s : manifest.snapshots()) {
            if (s.id() <= pinnedThrough) {
                if (!s.scrubbed()) {
                    out.println("scrub " + ns + ": snapshot " + s.name() + " kept as is: a clone depends on it or a later one");
                }
                continue;
            }
            boolean wanted = config.snapshots().isEmpty() ? !s.scrubbed() : config.snapshots().contains(s.name());
            if (wanted && !s.tlogs().isEmpty()) {
                todo.add(s);
            }
        }
        return todo;
    }

    /** Highest snapshot id of this namespace that any clone on the backend was created from, or 0. */
    private long pinnedByClones(VolumeManifest manifest) {
        VolumeManifestStore manifests = new VolumeManifestStore(store);
        long pinned = 0;
        for (String other : store.listNamespaces()) {
            if (other.equals(config.namespace())) {
                continue;
            }
            Optional<VolumeManifest> m;
            try {
                m = manifests.readLatest(other);
            } catch (BackendException e) {
                continue;
            }
            if (m.isPresent() && m.get().parent() != null && m.get().parent().namespace().equals(config.namespace())) {
                pinned = Math.max(pinned, m.get().parent().snapshotId());
            }
        }
        return pinned;
    }

    /** SCOs referenced by TLogs outside the scrubbed snapshots: never rewritten. */
    private Set<Long> referencedOutside(VolumeManifest manifest, List<VolumeManifest.Snapshot> todo) {
        Set<Long> inScope = new HashSet<>();
        todo.forEach(s -> inScope.addAll(s.tlogs()));
        Set<Long> referenced = new HashSet<>();
        TLogVisitor collect = new TLogVisitor() {
            @Override
            public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                if (location != ClusterLocation.ZERO) {
                    referenced.add(ClusterLocation.scoId(location));
                }
            }
        };
        for (long t : manifest.allTlogs()) {
            if (!inScope.contains(t)) {
                String key = NamespaceLayout.tlogKey(t);
                TLogReader.replaySealed(store.get(config.namespace(), key), store.name() + ":" + config.namespace() + "/" + key,
                        collect);
            }
        }
        return referenced;
    }

    /** Removes what a killed job wrote, unless its result was written or is already applied. */
    private void cleanUpAfterDeadJob(VolumeManifest manifest) {
        String ns = config.namespace();
        Optional<WorkJournal.Entry> wip = WorkJournal.read(store, ns);
        if (wip.isEmpty()) {
            return;
        }
        WorkJournal.Entry e = wip.get();
        Set<Long> inUse = new HashSet<>(manifest.allTlogs());
        boolean applied = e.outputs().stream().filter(k -> k.startsWith(NamespaceLayout.TLOG_PREFIX))
                .map(NamespaceLayout::tlogNumber).anyMatch(inUse::contains);
        if (applied || store.exists(ns, e.resultKey())) {
            out.println("scrub " + ns + ": previous job had finished; clearing its journal");
        } else {
            out.println("scrub " + ns + ": previous job was interrupted; removing its " + e.outputs().size() + " partial outputs");
            removeOutputs(e.outputs());
        }
        store.delete(ns, ScrubResult.WORK_KEY);
    }

    private void removeOutputs(List<String> keys) {
        for (String key : keys) {
            try {
                store.delete(config.namespace(), key);
            } catch (BackendException e) {
                out.println("scrub " + config.namespace() + ": could not remove partial output " + key
                        + " (the next run removes it): " + e.getMessage());
                return;
            }
        }
        try {
            store.delete(config.namespace(), ScrubResult.WORK_KEY);
        } catch (BackendException ignored) {
            // the journal stays; the next run cleans up from it
        }
    }

    private Path scratchDir() {
        try {
            Files.createDirectories(config.scratchDir());
            return Files.createTempDirectory(config.scratchDir(), "scrub-" + config.namespace() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create scratch directory under " + config.scratchDir(), e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // scratch space only
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
