package io.scoria.replicator;

import io.scoria.backend.BackendException;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code run} command: replicates every selected volume from the source to the target, once
 * ({@link #runOnce}) or until stopped ({@link #runContinuously}), polling the source for new
 * manifests. Volumes are shipped parents first, so a clone's parent (a template) is on the
 * target before the clone's manifest names it. A volume whose source object fails its check, or
 * whose target is not a replica of it (or any other data or configuration error), stops with an
 * error naming the object and is not tried again by this job; a backend that is unreachable or an object that vanished (a scrub deleted
 * it between reading the manifest and the object) only fails the pass, and the next poll tries
 * again. Progress is printed one line per pass that shipped something (and, on a terminal, drawn
 * as a {@link ProgressBar} while a pass ships) and counted in {@link #counters()}.
 *
 * <p>Threads: the caller's thread runs the passes; {@link ObjectTransfer}'s pool moves SCOs.
 * Not thread-safe apart from {@link #stop()} and {@link #counters()}.
 */
public final class ReplicationJob implements AutoCloseable {
    private final ObjectStore source;
    private final ObjectStore target;
    private final ReplicationConfig.Replication options;
    private final PrintStream out;
    private final ReplicationCounters counters = new ReplicationCounters();
    private final ObjectTransfer transfer;
    private final ProgressBar progress;
    private final ObsoleteSweeper sweeper;
    private final Map<String, String> stopped = new LinkedHashMap<>();
    private volatile boolean running = true;

    public ReplicationJob(ObjectStore source, ObjectStore target, ReplicationConfig.Replication options, PrintStream out) {
        this(source, target, options, out, false);
    }

    /** @param progressBar draw a progress bar on {@code out} (a terminal) while a pass ships */
    public ReplicationJob(ObjectStore source, ObjectStore target, ReplicationConfig.Replication options, PrintStream out,
                          boolean progressBar) {
        this.source = Objects.requireNonNull(source, "source");
        this.target = Objects.requireNonNull(target, "target");
        this.options = Objects.requireNonNull(options, "options");
        this.out = Objects.requireNonNull(out, "out");
        this.transfer = new ObjectTransfer(options.parallelism(), new BandwidthLimit(options.bytesPerSecond()), counters);
        this.progress = new ProgressBar(out, progressBar, counters);
        this.sweeper = new ObsoleteSweeper(source, target, out, counters);
    }

    public ReplicationCounters counters() {
        return counters;
    }

    /** Volumes stopped by an error, with the error. */
    public Map<String, String> stoppedVolumes() {
        return Map.copyOf(stopped);
    }

    /** The selected volumes on the source, parents before their clones. */
    List<VolumeManifest> selected() {
        VolumeManifestStore manifests = new VolumeManifestStore(source);
        Map<String, VolumeManifest> found = new LinkedHashMap<>();
        for (String ns : source.listNamespaces()) {
            if (!options.selects(ns)) {
                continue;
            }
            try {
                manifests.readLatest(ns).ifPresent(m -> found.put(ns, m));
            } catch (ScoFormatException e) {
                out.println("scoria-replicate: skipping namespace " + ns + ": " + e.getMessage());
            }
        }
        Set<String> missing = new TreeSet<>(options.volumes());
        missing.removeAll(found.keySet());
        if (!missing.isEmpty()) {
            throw new ReplicationException("no volume " + missing + " on source " + source.name());
        }
        List<VolumeManifest> ordered = new ArrayList<>(found.values());
        ordered.sort(Comparator.comparingInt((VolumeManifest m) -> depth(m, found)).thenComparing(VolumeManifest::name));
        return ordered;
    }

    private static int depth(VolumeManifest m, Map<String, VolumeManifest> all) {
        int d = 0;
        for (VolumeManifest p = m; p.parent() != null && d < 64; d++) {
            p = all.get(p.parent().namespace());
            if (p == null) {
                return d + 1;
            }
        }
        return d;
    }

    /**
     * One pass over every selected volume; returns true when no volume is stopped by an error.
     * When the source's volumes cannot be listed (a backend down), every volume this job has seen
     * counts an error and the {@link BackendException} is thrown.
     */
    public boolean runOnce() {
        List<VolumeManifest> volumes;
        try {
            volumes = selected();
        } catch (BackendException e) {
            counters.volumes().forEach(VolumeReplicationCounters::error);
            throw e;
        }
        for (VolumeManifest m : volumes) {
            String ns = m.config().namespace();
            if (!running) {
                break;
            }
            if (stopped.containsKey(ns)) {
                continue;
            }
            long bytesBefore = counters.bytesShipped();
            long objectsBefore = counters.objectsShipped();
            long started = System.nanoTime();
            try {
                VolumeShipper.Pass p = new VolumeShipper(source, target, ns, options.snapshotMode(), transfer, progress, sweeper).runOnce();
                if (p.changed()) {
                    double secs = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
                    long bytes = counters.bytesShipped() - bytesBefore;
                    out.printf(Locale.ROOT, "scoria-replicate: %s: manifest generation %d shipped as %d: %d TLogs, %d objects, "
                                    + "%.1f MiB in %.1f s (%.1f MiB/s), lag %.1f s%n", ns, p.sourceGeneration(), p.targetGeneration(),
                            p.tlogsShipped(), counters.objectsShipped() - objectsBefore, bytes / 1048576.0, secs,
                            bytes / 1048576.0 / secs, p.lagMillis() / 1000.0);
                }
            } catch (ReplicationException | CorruptDataException e) {
                stopped.put(ns, e.getMessage());
                counters.failed(ns);
                out.println("scoria-replicate: " + ns + ": replication stopped: " + e.getMessage());
            } catch (NotFoundException e) {
                counters.volume(ns).error();
                out.println("scoria-replicate: " + ns + ": an object vanished during the pass (scrubbed?), retrying next pass: "
                        + e.getMessage());
            } catch (BackendException e) {
                counters.volume(ns).error();
                out.println("scoria-replicate: " + ns + ": pass failed, retrying next pass: " + e.getMessage());
            }
        }
        return stopped.isEmpty();
    }

    /** Passes every poll interval until {@link #stop()}; returns as {@link #runOnce()}. */
    public boolean runContinuously() throws InterruptedException {
        out.println("scoria-replicate: continuous " + (options.snapshotMode() ? "snapshot " : "") + "replication from "
                + source.name() + " to " + target.name() + ", polling every " + options.poll().toMillis() + " ms");
        while (running) {
            try {
                runOnce();
            } catch (BackendException e) {
                out.println("scoria-replicate: pass failed, retrying: " + e.getMessage());
            }
            if (running) {
                Thread.sleep(options.poll().toMillis());
            }
        }
        return stopped.isEmpty();
    }

    /** Makes {@link #runContinuously} return after the current pass. Thread-safe. */
    public void stop() {
        running = false;
    }

    @Override
    public void close() {
        running = false;
        transfer.close();
    }
}
