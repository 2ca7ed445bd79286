package io.scoria.replicator;

import io.scoria.backend.CorruptDataException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.tlog.TLogReader;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Deletes on the target what a scrub (or a rollback) on the source made obsolete, which the
 * target would otherwise keep forever. After a pass, a TLog the target holds is obsolete when the
 * target's newest manifest no longer names it <em>and</em> the source no longer holds it (the
 * source's router deletes a scrub's obsolete objects only once its own manifest stopped naming
 * them and its grace period ran out, so the target gets about the same grace, counted from when
 * the new manifest reached it). An SCO is obsolete when an obsolete TLog seals it, no TLog the
 * manifest names seals it (a scrub's output TLogs seal again every SCO they keep) and the source
 * no longer holds it. SCOs go first, then their TLogs, so a crash in between leaves the TLogs for
 * the next sweep to find. Nothing is deleted while any volume on the target is a clone of this
 * one (a DR test clone made at the DR site reads this volume's old SCOs, and the source's scrubber
 * does not know it).
 *
 * <p>Costs: nothing extra for a pass whose listing shows only named TLogs (the usual case);
 * otherwise one HEAD per unnamed TLog; and only when the source dropped some, a listing of the
 * target's volumes and a GET of every TLog the manifest names. A volume is checked at its first
 * pass in a job (so a job restarted between a publish and its sweep finishes it), after every pass
 * that published, and while it has unnamed TLogs the source still holds, again at most every
 * {@link #RECHECK_MILLIS} (so too while a clone keeps them). Objects no TLog seals that a killed pass left on the target are not
 * found. Used by the job's thread only; not thread-safe.
 */
final class ObsoleteSweeper {
    static final long RECHECK_MILLIS = 60_000;

    /** What a sweep deleted. */
    record Swept(int tlogs, int scos, long bytes) {
    }

    private final ObjectStore source;
    private final ObjectStore target;
    private final PrintStream out;
    private final ReplicationCounters counters;
    private final Set<String> checked = new HashSet<>();
    private final Map<String, Long> waitingSince = new HashMap<>();

    ObsoleteSweeper(ObjectStore source, ObjectStore target, PrintStream out, ReplicationCounters counters) {
        this.source = Objects.requireNonNull(source, "source");
        this.target = Objects.requireNonNull(target, "target");
        this.out = Objects.requireNonNull(out, "out");
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    /**
     * Sweeps volume {@code ns} after a pass that left {@code replica} the target's newest manifest;
     * {@code listed} are the keys and sizes the pass listed on the target, or null when the pass
     * published nothing (then the target is listed here, when a check is due).
     */
    Swept afterPass(String ns, VolumeManifest replica, Map<String, Long> listed) {
        long now = System.currentTimeMillis();
        Long waiting = waitingSince.get(ns);
        boolean due = listed != null || !checked.contains(ns) || (waiting != null && now - waiting >= RECHECK_MILLIS);
        if (!due) {
            return new Swept(0, 0, 0);
        }
        checked.add(ns);
        Map<String, Long> held = listed != null ? listed : tlogsOnTarget(ns);
        Set<Long> named = new HashSet<>(replica.allTlogs());
        List<String> unnamed = new ArrayList<>();
        for (String key : new TreeSet<>(held.keySet())) {
            if (key.startsWith(NamespaceLayout.TLOG_PREFIX) && key.length() == NamespaceLayout.tlogKey(1).length()
                    && !named.contains(NamespaceLayout.tlogNumber(key))) {
                unnamed.add(key);
            }
        }
        List<String> gone = unnamed.stream().filter(k -> !source.exists(ns, k)).toList();
        waitingSince.remove(ns);
        if (gone.size() < unnamed.size()) {
            waitingSince.put(ns, now);
        }
        if (gone.isEmpty()) {
            return new Swept(0, 0, 0);
        }
        String clone = cloneOf(ns);
        if (clone != null) {
            waitingSince.put(ns, now);
            out.println("scoria-replicate: " + ns + ": keeping " + gone.size() + " TLogs the source dropped (scrubbed): volume '"
                    + clone + "' on " + target.name() + " is a clone of it and may read them");
            return new Swept(0, 0, 0);
        }
        try {
            return sweep(ns, replica, held, gone);
        } catch (ReplicationException e) {
            out.println("scoria-replicate: " + ns + ": " + e.getMessage());
            return new Swept(0, 0, 0);
        }
    }

    private Swept sweep(String ns, VolumeManifest replica, Map<String, Long> held, List<String> gone) {
        Set<String> stillSealed = new HashSet<>();
        for (long t : replica.allTlogs()) {
            sealedBy(ns, NamespaceLayout.tlogKey(t), stillSealed);
        }
        Set<String> obsoleteScos = new TreeSet<>();
        for (String tlog : gone) {
            sealedBy(ns, tlog, obsoleteScos);
        }
        obsoleteScos.removeAll(stillSealed);
        obsoleteScos.removeIf(k -> source.exists(ns, k));
        long bytes = 0;
        for (String sco : obsoleteScos) {
            bytes += sizeOrZero(ns, sco);
            target.delete(ns, sco);
        }
        for (String tlog : gone) {
            bytes += held.getOrDefault(tlog, 0L);
            target.delete(ns, tlog);
        }
        counters.volume(ns).deleted(gone.size() + obsoleteScos.size());
        out.printf(Locale.ROOT, "scoria-replicate: %s: deleted %d TLogs and %d SCOs (%.1f MiB) on %s that the source dropped "
                + "(scrubbed) and the replica's manifest no longer names%n", ns, gone.size(), obsoleteScos.size(),
                bytes / 1048576.0, target.name());
        return new Swept(gone.size(), obsoleteScos.size(), bytes);
    }

    private Map<String, Long> tlogsOnTarget(String ns) {
        Map<String, Long> sizes = new HashMap<>();
        target.listAll(ns, NamespaceLayout.TLOG_PREFIX).forEach(o -> sizes.put(o.key(), o.size()));
        return sizes;
    }

    private long sizeOrZero(String ns, String key) {
        try {
            return target.stat(ns, key).size();
        } catch (NotFoundException e) {
            return 0;
        }
    }

    /** Adds the keys of the SCOs TLog {@code key} on the target seals. */
    private void sealedBy(String ns, String key, Set<String> into) {
        try {
            TLogReader.replaySealed(target.get(ns, key), target.name() + ":" + ns + "/" + key,
                    TLogVisitor.sealedScos((sco, crc, clusters) -> into.add(NamespaceLayout.scoKey(sco))));
        } catch (CorruptDataException e) {
            throw new ReplicationException("cannot tell which SCOs " + target.name() + ":" + ns + "/" + key
                    + " seals, so nothing obsolete is deleted: " + e.getMessage(), e);
        }
    }

    /** A volume on the target that is a clone of {@code ns}, or null. */
    private String cloneOf(String ns) {
        VolumeManifestStore manifests = new VolumeManifestStore(target);
        for (String other : target.listNamespaces()) {
            if (other.equals(ns)) {
                continue;
            }
            try {
                VolumeManifest m = manifests.readLatest(other).orElse(null);
                if (m != null && m.parent() != null && m.parent().namespace().equals(ns)) {
                    return m.name();
                }
            } catch (ScoFormatException e) {
                // not a volume namespace
            }
        }
        return null;
    }
}
