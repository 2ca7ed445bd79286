package io.scoria.distributor.placement;

import io.scoria.distributor.FragmentStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rendezvous (highest random weight) placement: every store gets a pseudo-random score per
 * seed (object key, generation), stores are tried in descending score. Fill is even in
 * expectation and adding or removing a store moves only the fragments that rank it (or
 * ranked it) among their top. Stateless and thread-safe.
 */
public final class Placement {
    private Placement() {
    }

    /** Stores in descending score for {@code seed}. */
    public static List<FragmentStore> rank(String seed, List<FragmentStore> stores) {
        long h = hash(seed.getBytes(StandardCharsets.UTF_8), 0x9e3779b97f4a7c15L);
        List<FragmentStore> ranked = new ArrayList<>(stores);
        ranked.sort(Comparator.comparingLong((FragmentStore s) -> score(h, s)).reversed()
                .thenComparing(FragmentStore::name));
        return ranked;
    }

    private static long score(long seedHash, FragmentStore s) {
        return mix(seedHash ^ hash(s.name().getBytes(StandardCharsets.UTF_8), 0x632be59bd9b4e019L));
    }

    /**
     * Picks {@code count} distinct stores in rank order, never two in one failure domain while
     * unused domains remain; stores in {@code exclude} are skipped. Fewer are returned if there
     * are not enough stores.
     */
    public static List<FragmentStore> choose(List<FragmentStore> ranked, int count, Set<String> excludeNames,
                                             Set<String> usedDomains) {
        List<FragmentStore> chosen = new ArrayList<>(count);
        Set<String> domains = new HashSet<>(usedDomains);
        for (FragmentStore s : ranked) {
            if (chosen.size() < count && !excludeNames.contains(s.name()) && domains.add(s.failureDomain())) {
                chosen.add(s);
            }
        }
        for (FragmentStore s : ranked) {
            if (chosen.size() < count && !excludeNames.contains(s.name()) && !chosen.contains(s)) {
                chosen.add(s);
            }
        }
        return chosen;
    }

    private static long hash(byte[] bytes, long seed) {
        long h = seed;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
