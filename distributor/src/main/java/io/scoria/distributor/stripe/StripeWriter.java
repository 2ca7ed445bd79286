package io.scoria.distributor.stripe;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.NotFoundException;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.Policy;
import io.scoria.distributor.ec.ErasureCodec;
import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.manifest.ObjectManifestStore;
import io.scoria.distributor.placement.Placement;
import io.scoria.distributor.placement.StoreSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The write path: encode ({@link FragmentEncoder}), store the Y framed fragments of a new generation on distinct stores
 * (distinct failure domains where possible, falling back to further stores when one fails),
 * then publish the manifest. Until the manifest is written no reader can see the new
 * generation; the old generation's fragments are deleted only afterwards. Thread-safe.
 */
public final class StripeWriter {
    private static final Logger LOG = LoggerFactory.getLogger(StripeWriter.class);
    private final StoreSet storeSet;
    private final ObjectManifestStore manifests;
    private final FragmentEncoder encoder;
    private final LongAdder degradedWrites = new LongAdder();

    public StripeWriter(StoreSet storeSet, ObjectManifestStore manifests) {
        this.storeSet = storeSet;
        this.manifests = manifests;
        this.encoder = new FragmentEncoder(storeSet);
    }

    /**
     * Stores {@code data} (position to limit; not modified, position not moved) as {@code key}
     * with {@code policy}; returns the published manifest.
     *
     * @param previous the manifest being replaced, if known (its fragments are deleted after)
     */
    public Manifest put(String ns, String key, ByteBuffer data, Policy policy, Manifest previous) {
        return put(ns, key, FragmentEncoder.Source.of(data), data.remaining(), policy, previous);
    }

    /**
     * Stores the {@code size} bytes of {@code source} as {@code key} with {@code policy}, encoded
     * stripe by stripe into reused fragment buffers; returns the published manifest.
     *
     * @param previous the manifest being replaced, if known (its fragments are deleted after)
     */
    public Manifest put(String ns, String key, FragmentEncoder.Source source, long size, Policy policy,
                        Manifest previous) {
        long generation = storeSet.nextGeneration();
        int y = policy.totalFragments();
        List<Manifest.Fragment> fragments = new ArrayList<>();
        if (size > 0) {
            try (FragmentEncoder.Fragments enc = encoder.encode(source, size, policy)) {
                String[] placed = storeFragments(ns, key, generation, enc, policy);
                for (int i = 0; i < y; i++) {
                    fragments.add(new Manifest.Fragment(i, placed[i], enc.storedLength(), enc.crc(i)));
                }
            }
        }
        Manifest m = new Manifest(Manifest.FORMAT, key, size, policy.dataFragments(), y, policy.megaBlockSize(),
                StripeLayout.CHUNK, generation, 0, System.currentTimeMillis(), fragments);
        int replicas = policy.manifestReplicas();
        int required = Math.max(1, policy.minFragments() - policy.dataFragments() + 1);
        try {
            manifests.write(ns, m, replicas, required);
        } catch (ObjectManifestStore.PartiallyWrittenException e) {
            throw e; // some readers may see the new generation: keep its fragments (and the old ones)
        } catch (RuntimeException e) {
            deleteFragments(ns, m);
            throw e;
        }
        if (previous != null && previous.generation() != generation) {
            deleteFragments(ns, previous);
        }
        return m;
    }

    /** Writes every fragment of {@code framed}; returns the store name per fragment (null: not stored). */
    private String[] storeFragments(String ns, String key, long generation, FragmentEncoder.Fragments framed,
                                    Policy policy) {
        int y = policy.totalFragments();
        List<FragmentStore> ranked = storeSet.rank(key + "#" + generation);
        List<FragmentStore> chosen = Placement.choose(ranked, y, storeSet.draining(), Set.of());
        String[] placed = new String[y];
        List<Future<?>> futures = new ArrayList<>(y);
        for (int i = 0; i < y; i++) {
            FragmentStore target = chosen.get(i);
            String fkey = Manifest.fragmentKey(key, generation, i);
            ByteBuffer bytes = framed.fragment(i);
            futures.add(storeSet.submit(() -> {
                storeSet.put(target, ns, fkey, bytes);
                return null;
            }));
        }
        Set<String> tried = new HashSet<>();
        List<Integer> failed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        boolean allNotFound = true;
        for (int i = 0; i < y; i++) {
            tried.add(chosen.get(i).name());
            try {
                futures.get(i).get();
                placed[i] = chosen.get(i).name();
            } catch (ExecutionException e) {
                failed.add(i);
                errors.add(chosen.get(i).name() + ": " + e.getCause().getMessage());
                allNotFound &= e.getCause() instanceof NotFoundException;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                framed.abandon(); // fragment puts may still be reading the buffers
                throw new BackendUnavailableException("distributor: interrupted writing fragments of '" + key + "'", e);
            }
        }
        if (failed.size() == y && allNotFound) {
            throw new NotFoundException("distributor: namespace '" + ns + "' does not exist");
        }
        for (int i : failed) {
            Set<String> domains = new HashSet<>();
            for (String name : placed) {
                if (name != null) {
                    domains.add(storeSet.store(name).failureDomain());
                }
            }
            while (placed[i] == null) {
                List<FragmentStore> next = Placement.choose(ranked, 1, tried, domains);
                if (next.isEmpty()) {
                    break;
                }
                FragmentStore target = next.get(0);
                tried.add(target.name());
                try {
                    storeSet.put(target, ns, Manifest.fragmentKey(key, generation, i), framed.fragment(i));
                    placed[i] = target.name();
                } catch (RuntimeException e) {
                    errors.add(target.name() + ": " + e.getMessage());
                }
            }
        }
        int stored = 0;
        for (String p : placed) {
            if (p != null) {
                stored++;
            }
        }
        if (stored < policy.minFragments()) {
            for (int i = 0; i < y; i++) {
                if (placed[i] != null) {
                    deleteQuietly(storeSet.store(placed[i]), ns, Manifest.fragmentKey(key, generation, i));
                }
            }
            throw new BackendUnavailableException("distributor: put of '" + key + "' in '" + ns + "' stored only " + stored
                    + " of " + y + " fragments, policy needs " + policy.minFragments() + ": " + errors);
        }
        if (stored < y) {
            degradedWrites.increment();
        }
        return placed;
    }

    /** Objects (stripes' fragment sets) written with fewer than Y fragments since this writer was made; repair restores them. */
    public long degradedWrites() {
        return degradedWrites.sum();
    }

    /** Best-effort removal of a generation's fragments; leftovers are orphans for repair. */
    public void deleteFragments(String ns, Manifest m) {
        for (Manifest.Fragment f : m.fragments()) {
            FragmentStore s = storeSet.store(f.store());
            if (s != null) {
                String fkey = m.fragmentKey(f.index());
                storeSet.submit(() -> {
                    deleteQuietly(s, ns, fkey);
                    return null;
                });
            }
        }
    }

    private static void deleteQuietly(FragmentStore s, String ns, String key) {
        try {
            s.store().delete(ns, key);
        } catch (RuntimeException e) {
            // no manifest names this fragment, so readers never see it; repair deletes such orphans
            LOG.warn("could not delete unreferenced fragment {}:{}/{}: {}", s.name(), ns, key, e.getMessage());
        }
    }
}
