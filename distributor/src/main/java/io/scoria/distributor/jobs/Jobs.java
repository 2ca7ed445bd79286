package io.scoria.distributor.jobs;

import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.JobProgress;
import io.scoria.distributor.Policy;
import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.manifest.ObjectManifestStore;
import io.scoria.distributor.placement.StoreSet;
import io.scoria.distributor.placement.Placement;
import io.scoria.distributor.stripe.StripeLayout;
import io.scoria.distributor.stripe.StripeReader;
import io.scoria.distributor.stripe.StripeWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Repair, rebalance and re-encode: walk a namespace's objects in key order, fix each one, and
 * report progress after each, so a job can be stopped between objects and resumed after the
 * last key it reported. Each object is switched by writing its manifest, so readers never see
 * a half-done object. Thread-safe; one job per namespace at a time is the caller's duty.
 */
public final class Jobs {
    private static final Logger LOG = LoggerFactory.getLogger(Jobs.class);

    /** The jobs. */
    public enum Kind { REPAIR, REBALANCE, REENCODE }

    private final StoreSet storeSet;
    private final ObjectManifestStore manifests;
    private final StripeWriter writer;
    private final StripeReader reader;
    private final BiFunction<String, String, ObjectPage> lister;
    private final Checkpoints checkpoints;
    private static final long SAVE_EVERY_NANOS = 2_000_000_000L;

    public Jobs(StoreSet storeSet, ObjectManifestStore manifests, StripeWriter writer, StripeReader reader,
                BiFunction<String, String, ObjectPage> lister) {
        this.storeSet = storeSet;
        this.manifests = manifests;
        this.writer = writer;
        this.reader = reader;
        this.lister = lister;
        this.checkpoints = new Checkpoints(storeSet);
    }

    public Checkpoints checkpoints() {
        return checkpoints;
    }

    private static final class Counts {
        long objects;
        long checked;
        long missing;
        long rebuilt;
        long moved;
        long manifests;
        long reencoded;
        long failed;
        long bytes;
        String lastKey;

        JobProgress progress(Kind kind, String ns, boolean finished) {
            return new JobProgress(kind.name().toLowerCase(java.util.Locale.ROOT), ns, objects, checked, missing, rebuilt,
                    moved, manifests, reencoded, failed, lastKey, finished, System.currentTimeMillis(), bytes);
        }
    }

    public JobProgress run(Kind kind, String ns, Policy target, String resumeAfter, Consumer<JobProgress> progress,
                           BooleanSupplier stop) {
        Consumer<JobProgress> listener = progress == null ? p -> { } : progress;
        BooleanSupplier stopped = stop == null ? () -> Thread.currentThread().isInterrupted() : stop;
        Counts c = new Counts();
        c.lastKey = resumeAfter;
        long lastSave = System.nanoTime();
        String after = resumeAfter;
        do {
            ObjectPage page = lister.apply(ns, after);
            for (ObjectInfo o : page.objects()) {
                if (stopped.getAsBoolean()) {
                    JobProgress p = c.progress(kind, ns, false);
                    checkpoints.save(p);
                    LOG.info("{} of '{}' stopped after '{}': {}", kind, ns, c.lastKey, p);
                    return p;
                }
                try {
                    switch (kind) {
                        case REPAIR -> fix(ns, o.key(), false, c);
                        case REBALANCE -> fix(ns, o.key(), true, c);
                        case REENCODE -> reencode(ns, o.key(), target, c);
                    }
                } catch (NotFoundException e) {
                    // deleted while the job ran: nothing to fix
                } catch (BackendException e) {
                    c.failed++;
                    LOG.warn("{} of '{}': object '{}' not fixed now: {}", kind, ns, o.key(), e.getMessage());
                }
                c.objects++;
                c.bytes += o.size();
                c.lastKey = o.key();
                JobProgress now = c.progress(kind, ns, false);
                listener.accept(now);
                if (System.nanoTime() - lastSave > SAVE_EVERY_NANOS) {
                    checkpoints.save(now);
                    lastSave = System.nanoTime();
                }
            }
            after = page.nextAfter();
        } while (after != null);
        JobProgress done = c.progress(kind, ns, true);
        checkpoints.save(done);
        listener.accept(done);
        LOG.info("{} of '{}' finished: {}", kind, ns, done);
        return done;
    }

    private void reencode(String ns, String key, Policy target, Counts c) {
        Manifest m = manifests.fetch(ns, key);
        if (m.policy().sameCode(target)) {
            return;
        }
        ByteBuffer data = ByteBuffer.allocate((int) m.size());
        reader.read(ns, m, 0, data);
        data.flip();
        Manifest now = manifests.fetch(ns, key);
        if (now.generation() != m.generation()) {
            return; // overwritten meanwhile: the new write already used the writer's policy
        }
        writer.put(ns, key, data, target, m);
        c.reencoded++;
        c.manifests++;
    }

    /** Verifies every fragment, rebuilds bad ones; with {@code move}, also moves to the ideal placement. */
    private void fix(String ns, String key, boolean move, Counts c) {
        List<ObjectManifestStore.Replica> replicas = manifests.readAll(ns, key);
        Manifest m = null;
        for (ObjectManifestStore.Replica r : replicas) {
            if (r.manifest() != null && r.manifest().isNewerThan(m)) {
                m = r.manifest();
            }
        }
        if (m == null) {
            return;
        }
        int x = m.dataFragments();
        int y = m.totalFragments();
        String[] stores = new String[y];
        boolean changed = false;
        List<Integer> bad = new ArrayList<>();
        byte[][] payload = new byte[y][];
        boolean[] sameStoreOk = new boolean[y];
        if (m.size() > 0) {
            for (int i = 0; i < y; i++) {
                Manifest.Fragment f = m.fragments().get(i);
                stores[i] = f.store();
                FragmentStore s = storeSet.store(f.store());
                c.checked++;
                if (s == null) {
                    bad.add(i);
                    continue;
                }
                try {
                    payload[i] = readFragment(s, ns, m, f);
                } catch (NotFoundException | CorruptDataException e) {
                    sameStoreOk[i] = true;
                    bad.add(i);
                } catch (BackendException e) {
                    bad.add(i);
                }
            }
            c.missing += bad.size();
            boolean[] healthy = new boolean[y];
            for (int i = 0; i < y; i++) {
                healthy[i] = payload[i] != null;
            }
            if (y - bad.size() < x) {
                throw new BackendUnavailableException("object '" + key + "': only " + (y - bad.size()) + " of " + y
                        + " fragments readable, " + x + " needed");
            }
            if (!bad.isEmpty()) {
                rebuild(m, payload, bad);
            }
            Set<String> keep = new HashSet<>();
            List<FragmentStore> ideal = null;
            if (move) {
                List<FragmentStore> ranked = storeSet.rank(key + "#" + m.generation());
                ideal = Placement.choose(ranked, y, storeSet.draining(), Set.of()); // nothing stays on a draining store
                Set<String> idealNames = new HashSet<>();
                ideal.forEach(s -> idealNames.add(s.name()));
                for (int i = 0; i < y; i++) {
                    if (!bad.contains(i) && idealNames.contains(stores[i]) && keep.add(stores[i])) {
                        continue;
                    }
                    if (!bad.contains(i)) {
                        bad.add(i); // healthy but misplaced: move it
                    }
                }
            } else {
                for (int i = 0; i < y; i++) {
                    if (!bad.contains(i) || sameStoreOk[i]) {
                        keep.add(stores[i]);
                    }
                }
            }
            String[] old = stores.clone();
            for (int i : bad) {
                byte[] framed = StripeLayout.frame(payload[i], 0, payload[i].length);
                if (StripeLayout.crc32c(framed, 0, framed.length) != m.fragments().get(i).crc32c()) {
                    throw new CorruptDataException("object '" + key + "': rebuilt fragment " + i
                            + " does not match the CRC32C in its manifest");
                }
                String placed = place(ns, m, i, framed, move ? ideal : null, !move && sameStoreOk[i] ? stores[i] : null,
                        keep);
                if (placed == null) {
                    throw new BackendUnavailableException("object '" + key + "': no store accepted fragment " + i);
                }
                if (healthy[i]) {
                    c.moved++;
                } else {
                    c.rebuilt++;
                }
                if (!placed.equals(stores[i])) {
                    stores[i] = placed;
                    changed = true;
                }
            }
            if (changed) {
                for (int i : bad) {
                    FragmentStore from = storeSet.store(old[i]);
                    if (from != null && !old[i].equals(stores[i])) {
                        try {
                            from.store().delete(ns, m.fragmentKey(i));
                        } catch (BackendException e) {
                            LOG.warn("could not delete moved fragment {} of '{}' on {}: {}", i, key, old[i], e.getMessage());
                        }
                    }
                }
            }
        }
        Manifest current = changed ? m.withStores(stores) : m;
        int wanted = m.totalFragments() - m.dataFragments() + 1;
        List<FragmentStore> ranked = manifests.ranking(key);
        int fresh = 0;
        for (ObjectManifestStore.Replica r : replicas) {
            if (r.manifest() != null && !current.isNewerThan(r.manifest()) && ranked.indexOf(r.store()) < wanted) {
                fresh++;
            }
        }
        if (changed || fresh < wanted) {
            List<FragmentStore> written = manifests.write(ns, current, wanted, wanted);
            c.manifests++;
            if (move) {
                for (ObjectManifestStore.Replica r : replicas) {
                    if (r.manifest() != null && !written.contains(r.store())) {
                        try {
                            r.store().store().delete(ns, Manifest.manifestKey(key));
                        } catch (BackendException e) {
                            LOG.warn("could not delete extra manifest of '{}' on {}: {}", key, r.store().name(), e.getMessage());
                        }
                    }
                }
            }
        }
    }

    /** Stores a framed fragment: on {@code sameStore} if given, else the first fitting ideal or ranked store. */
    private String place(String ns, Manifest m, int i, byte[] framed, List<FragmentStore> ideal, String sameStore,
                         Set<String> used) {
        List<FragmentStore> candidates = new ArrayList<>();
        if (sameStore != null) {
            candidates.add(storeSet.store(sameStore));
        }
        if (ideal != null) {
            candidates.addAll(ideal);
        }
        Set<String> domains = new HashSet<>();
        for (String u : used) {
            FragmentStore s = storeSet.store(u);
            if (s != null) {
                domains.add(s.failureDomain());
            }
        }
        List<FragmentStore> ranked = storeSet.rank(m.key() + "#" + m.generation());
        candidates.addAll(Placement.choose(ranked, ranked.size(), storeSet.draining(), domains));
        for (FragmentStore s : candidates) {
            if (s == null || (used.contains(s.name()) && !s.name().equals(sameStore))) {
                continue;
            }
            try {
                storeSet.put(s, ns, m.fragmentKey(i), ByteBuffer.wrap(framed));
                used.add(s.name());
                return s.name();
            } catch (BackendException e) {
                LOG.debug("fragment {} of '{}' not accepted by {}: {}", i, m.key(), s.name(), e.getMessage());
            }
        }
        return null;
    }

    /** Reads a whole fragment, checks its length and CRC32Cs, returns its payload. */
    private static byte[] readFragment(FragmentStore s, String ns, Manifest m, Manifest.Fragment f) {
        String where = s.name() + ":" + ns + "/" + m.fragmentKey(f.index());
        ByteBuffer b = s.store().get(ns, m.fragmentKey(f.index()));
        if (b.remaining() != f.storedLength()) {
            throw new CorruptDataException(where + " is " + b.remaining() + " bytes, manifest says " + f.storedLength());
        }
        byte[] stored = new byte[b.remaining()];
        b.get(stored);
        if (StripeLayout.crc32c(stored, 0, stored.length) != f.crc32c()) {
            throw new CorruptDataException(where + " fails its CRC32C");
        }
        StripeLayout layout = new StripeLayout(m.size(), m.dataFragments(), m.megaBlockSize());
        byte[] payload = new byte[(int) layout.fragmentLength()];
        StripeLayout.unframe(stored, stored.length, payload, 0, where);
        return payload;
    }

    private void rebuild(Manifest m, byte[][] payload, List<Integer> bad) {
        int y = m.totalFragments();
        int length = (int) new StripeLayout(m.size(), m.dataFragments(), m.megaBlockSize()).fragmentLength();
        ByteBuffer[] fragments = new ByteBuffer[y];
        boolean[] present = new boolean[y];
        for (int i = 0; i < y; i++) {
            present[i] = payload[i] != null;
            if (!present[i]) {
                payload[i] = new byte[length];
            }
            fragments[i] = ByteBuffer.wrap(payload[i]);
        }
        storeSet.codec(m.dataFragments(), y).reconstruct(fragments, present);
    }
}
