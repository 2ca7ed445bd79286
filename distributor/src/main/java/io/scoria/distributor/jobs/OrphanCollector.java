package io.scoria.distributor.jobs;

import io.scoria.backend.BackendException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.manifest.ObjectManifestStore;
import io.scoria.distributor.placement.StoreSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;

/**
 * Deletes fragments no manifest names: left by puts that failed or were overwritten while a
 * store was unreachable, or by moves. Only fragments older than a grace period are touched,
 * so a put that has stored its fragments but not yet its manifest keeps them.
 */
public final class OrphanCollector {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanCollector.class);

    private final StoreSet storeSet;
    private final ObjectManifestStore manifests;

    public OrphanCollector(StoreSet storeSet, ObjectManifestStore manifests) {
        this.storeSet = storeSet;
        this.manifests = manifests;
    }

    /** Returns how many fragments were deleted. Stores that cannot be listed are skipped. */
    public long collect(String ns, Duration grace) {
        Instant cutoff = Instant.now().minus(grace);
        long deleted = 0;
        for (FragmentStore s : storeSet.stores()) {
            String after = null;
            try {
                do {
                    ObjectPage page = s.store().list(ns, Manifest.FRAGMENT_PREFIX, after, 1000);
                    for (ObjectInfo o : page.objects()) {
                        if (o.lastModified().isBefore(cutoff) && isOrphan(ns, s, o.key())) {
                            s.store().delete(ns, o.key());
                            deleted++;
                        }
                    }
                    after = page.nextAfter();
                } while (after != null);
            } catch (BackendException e) {
                LOG.warn("orphan collection skipped {} in '{}': {}", s.name(), ns, e.getMessage());
            }
        }
        return deleted;
    }

    private boolean isOrphan(String ns, FragmentStore s, String fragmentKey) {
        int slash = fragmentKey.lastIndexOf('/');
        int dot = fragmentKey.lastIndexOf('.');
        if (slash <= Manifest.FRAGMENT_PREFIX.length() || dot < slash) {
            return false; // not ours: leave it alone
        }
        String key = fragmentKey.substring(Manifest.FRAGMENT_PREFIX.length(), slash);
        long generation;
        int index;
        try {
            generation = Long.parseUnsignedLong(fragmentKey.substring(slash + 1, dot), 16);
            index = Integer.parseInt(fragmentKey.substring(dot + 1));
        } catch (NumberFormatException e) {
            return false;
        }
        Manifest m;
        try {
            m = manifests.fetch(ns, key);
        } catch (NotFoundException e) {
            return true;
        }
        return m.generation() != generation || index >= m.fragments().size()
                || !s.name().equals(m.fragments().get(index).store());
    }
}
