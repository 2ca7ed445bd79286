package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.dedup.ClusterCache;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.LocalScoCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Wipe on release: what deleting a volume does beyond deleting its namespace and directory, and the
 * check that nothing of a deleted volume is left. A deleted volume's clusters are removed from the
 * node's cluster cache and their slots zeroed (found through its LBA map); its evicted SCO files kept
 * as spares are deleted by {@link LocalScoCache#dropNamespace}; its fail-over cache entries are
 * dropped by the FOC wiring. Stateless; called under the service's lock.
 */
final class VolumeWipe {
    private static final Logger log = LoggerFactory.getLogger(VolumeWipe.class);

    private VolumeWipe() {
    }

    /** A visitor that discards every cluster it is shown from {@code cache}. */
    static LbaMap.Visitor discarding(ClusterCache cache) {
        return (lba, location, fpHi, fpLo, crc) -> cache.discard(fpHi, fpLo);
    }

    /** Discards from {@code cache} the clusters in the map file of a volume that is not open (best effort: a missing map has none). */
    static void discardClosed(Path volumeDir, VolumeManifest m, ClusterCache cache) {
        Path f = volumeDir.resolve(LbaMap.FILE_NAME);
        if (!Files.exists(f)) {
            return;
        }
        try (LbaMap map = LbaMap.open(f, m.config().clusters(), Math.min(m.config().clusters(), 1L << 20))) {
            map.forEach(discarding(cache));
        } catch (RuntimeException e) {
            // not a data error: the clusters stay cached only under their fingerprints, which no later
            // volume's map names unless it wrote the same bytes itself
            log.warn("volume {}: cannot read its map to drop its clusters from the cluster cache: {}", m.name(), e.toString());
        }
    }

    /** What is left of {@code volume}, which must not exist (any more). */
    static WipeReport check(String volume, boolean exists, ObjectStore store, Path volumeDir, Path scoDir) {
        if (exists) {
            throw new VolumeConflictException("volume '" + volume + "' exists; a wipe check is for deleted volumes");
        }
        boolean namespace = store.namespaceExists(volume);
        List<String> objects = namespace ? store.listAll(volume, "").stream().limit(WipeReport.MAX_LISTED)
                .map(o -> o.key()).toList() : List.of();
        List<String> local = new ArrayList<>();
        for (Path p : List.of(volumeDir, scoDir)) {
            if (Files.exists(p)) {
                local.add(p.toString());
            }
        }
        return new WipeReport(volume, namespace, objects, local);
    }
}
