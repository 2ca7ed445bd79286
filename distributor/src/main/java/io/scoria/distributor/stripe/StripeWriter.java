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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The write path: encode, store the Y framed fragments of a new generation on distinct stores
 * (distinct failure domains where possible, falling back to further stores when one fails),
 * then publish the manifest. Until the manifest is written no reader can see the new
 * generation; the old generation's fragments are deleted only afterwards. Thread-safe.
 */
public final class StripeWriter {
    private static final Logger LOG = LoggerFactory.getLogger(StripeWriter.class);
    private final StoreSet storeSet;
    private final ObjectManifestStore manifests;

    public StripeWriter(StoreSet storeSet, ObjectManifestStore manifests) {
        this.storeSet = storeSet;
        this.manifests = manifests;
    }

    /** Result of encoding: the framed fragments and their CRC32Cs. */
    public record Encoded(StripeLayout layout, byte[][] framed, int[] crc) {
    }

    /** Encodes {@code data} (position to limit; not modified, position not moved). */
    public Encoded encode(ByteBuffer data, Policy policy) {
        long size = data.remaining();
        int x = policy.dataFragments();
        int y = policy.totalFragments();
        StripeLayout layout = new StripeLayout(size, x, policy.megaBlockSize());
        int fl = (int) layout.fragmentLength();
        byte[][] payload = new byte[y][fl];
        ByteBuffer src = data.duplicate();
        int base = src.position();
        for (long s = 0; s < layout.stripes(); s++) {
            int b = layout.blockSize(s);
            long start = layout.stripeStart(s);
            for (int i = 0; i < x; i++) {
                long from = start + (long) i * b;
                int n = (int) Math.max(0, Math.min(b, size - from));
                if (n > 0) {
                    src.get((int) (base + from), payload[i], (int) layout.fragmentStart(s), n);
                }
            }
        }
        ByteBuffer[] in = new ByteBuffer[x];
        ByteBuffer[] out = new ByteBuffer[y - x];
        for (int i = 0; i < y; i++) {
            if (i < x) {
                in[i] = ByteBuffer.wrap(payload[i]);
            } else {
                out[i - x] = ByteBuffer.wrap(payload[i]);
            }
        }
        storeSet.codec(x, y).encode(in, out);
        byte[][] framed = new byte[y][];
        int[] crc = new int[y];
        for (int i = 0; i < y; i++) {
            framed[i] = StripeLayout.frame(payload[i], 0, fl);
            payload[i] = null;
            crc[i] = StripeLayout.crc32c(framed[i], 0, framed[i].length);
        }
        return new Encoded(layout, framed, crc);
    }

    /**
     * Stores {@code data} as {@code key} with {@code policy}; returns the published manifest.
     *
     * @param previous the manifest being replaced, if known (its fragments are deleted after)
     */
    public Manifest put(String ns, String key, ByteBuffer data, Policy policy, Manifest previous) {
        long generation = storeSet.nextGeneration();
        int y = policy.totalFragments();
        List<Manifest.Fragment> fragments = new ArrayList<>();
        if (data.remaining() > 0) {
            Encoded enc = encode(data, policy);
            String[] placed = storeFragments(ns, key, generation, enc.framed(), policy);
            for (int i = 0; i < y; i++) {
                fragments.add(new Manifest.Fragment(i, placed[i], enc.framed()[i].length, enc.crc()[i]));
            }
        }
        Manifest m = new Manifest(Manifest.FORMAT, key, data.remaining(), policy.dataFragments(), y, policy.megaBlockSize(),
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

    /** Writes fragment i of {@code framed}; returns the store name per fragment (null: not stored). */
    private String[] storeFragments(String ns, String key, long generation, byte[][] framed, Policy policy) {
        int y = framed.length;
        List<FragmentStore> ranked = Placement.rank(key + "#" + generation, storeSet.stores());
        List<FragmentStore> chosen = Placement.choose(ranked, y, Set.of(), Set.of());
        String[] placed = new String[y];
        List<Future<?>> futures = new ArrayList<>(y);
        for (int i = 0; i < y; i++) {
            FragmentStore target = chosen.get(i);
            String fkey = Manifest.fragmentKey(key, generation, i);
            byte[] bytes = framed[i];
            futures.add(storeSet.submit(() -> {
                target.store().put(ns, fkey, ByteBuffer.wrap(bytes));
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
                    target.store().put(ns, Manifest.fragmentKey(key, generation, i), ByteBuffer.wrap(framed[i]));
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
        return placed;
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
