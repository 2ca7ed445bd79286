package io.scoria.distributor.manifest;

import io.scoria.distributor.Policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a reader needs to find and check an object's fragments: its size, the code, where each
 * fragment is and its CRC32C. Immutable. Newer = higher (generation, revision): the
 * generation changes with the data (it is part of the fragment keys), the revision with the
 * placement (repair, rebalance).
 *
 * @param format        schema version of the stored form, {@value #FORMAT}
 * @param fragments     one entry per fragment index 0..Y-1; empty for an empty object
 */
public record Manifest(int format, String key, long size, int dataFragments, int totalFragments, int megaBlockSize,
                       int chunkSize, long generation, long revision, long createdMillis, List<Fragment> fragments) {
    public static final int FORMAT = 1;
    public static final String MANIFEST_PREFIX = "m/";
    public static final String FRAGMENT_PREFIX = "f/";

    /**
     * One fragment.
     *
     * @param store        name of the store holding it; null if it was never stored (degraded
     *                     write) and must be rebuilt
     * @param storedLength bytes of the fragment object (payload plus one CRC32C per chunk)
     * @param crc32c       CRC32C of the whole fragment object
     */
    public record Fragment(int index, String store, long storedLength, int crc32c) {
        public Fragment withStore(String newStore) {
            return new Fragment(index, newStore, storedLength, crc32c);
        }
    }

    public Manifest {
        Objects.requireNonNull(key, "key");
        fragments = List.copyOf(fragments);
        if (format != FORMAT) {
            throw new IllegalArgumentException("manifest of '" + key + "' has unknown format " + format);
        }
        if (size < 0) {
            throw new IllegalArgumentException("manifest of '" + key + "' has negative size " + size);
        }
        if (size > 0 && fragments.size() != totalFragments) {
            throw new IllegalArgumentException("manifest of '" + key + "' lists " + fragments.size() + " fragments, policy has "
                    + totalFragments);
        }
        for (int i = 0; i < fragments.size(); i++) {
            if (fragments.get(i).index() != i) {
                throw new IllegalArgumentException("manifest of '" + key + "' has fragment " + fragments.get(i).index()
                        + " at position " + i);
            }
        }
    }

    public Policy policy() {
        return new Policy(dataFragments, totalFragments, megaBlockSize, totalFragments);
    }

    /** Key of the manifest replicas on each store. */
    public static String manifestKey(String key) {
        return MANIFEST_PREFIX + key;
    }

    /** Key of fragment {@code index} of this generation. */
    public String fragmentKey(int index) {
        return fragmentKey(key, generation, index);
    }

    public static String fragmentKey(String key, long generation, int index) {
        String hex = Long.toHexString(generation);
        return FRAGMENT_PREFIX + key + "/" + "0".repeat(16 - hex.length()) + hex + "." + index;
    }

    /** Bytes our keys add to a user key, so the distributor's key limit is the stores' minus this. */
    public static final int KEY_OVERHEAD = FRAGMENT_PREFIX.length() + 1 + 16 + 1 + 2;

    public boolean isNewerThan(Manifest other) {
        return other == null || generation > other.generation
                || (generation == other.generation && revision > other.revision);
    }

    public int storedFragments() {
        int n = 0;
        for (Fragment f : fragments) {
            if (f.store() != null) {
                n++;
            }
        }
        return n;
    }

    /** A copy with new stores for some fragments and the next revision. */
    public Manifest withStores(String[] stores) {
        List<Fragment> list = new ArrayList<>(fragments.size());
        for (int i = 0; i < fragments.size(); i++) {
            list.add(fragments.get(i).withStore(stores[i]));
        }
        return new Manifest(format, key, size, dataFragments, totalFragments, megaBlockSize, chunkSize, generation,
                revision + 1, createdMillis, list);
    }
}
