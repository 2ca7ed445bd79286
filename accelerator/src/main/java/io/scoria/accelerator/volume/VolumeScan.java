package io.scoria.accelerator.volume;

import io.scoria.backend.BackendException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.VolumeManifest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * How a node finds its volumes ({@link LocalVolumeService}'s registry): the manifests on local
 * flash at start, then the backend's namespaces, some of which a replication job or another router
 * added, and which of them are replicas. Stateless; the caller's maps are concurrent.
 */
final class VolumeScan {
    private VolumeScan() {
    }

    /** Registers the manifest of every volume directory under {@code volumes} (created if missing). */
    static void loadLocal(Path volumes, Map<String, VolumeManifest> registry) {
        try {
            Files.createDirectories(volumes);
            try (var dirs = Files.list(volumes)) {
                for (Path d : (Iterable<Path>) dirs::iterator) {
                    VolumeManifestStore.readLocal(d.resolve("volume.json")).ifPresent(m -> registry.put(m.config().namespace(), m));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot scan " + volumes, e);
        }
    }

    /**
     * Registers the backend's volumes this node does not know yet (a replication job may have
     * shipped new ones) and reads the replication role of new ones ({@code all}: of every one not
     * open; else only of known replicas, which a promote turns writable). A backend that is down
     * changes nothing: local volumes still open, others appear once it is back.
     */
    static void scanBackend(ObjectStore store, VolumeManifestStore manifests, Map<String, VolumeManifest> registry,
                            Set<String> open, Set<String> replicas, boolean all) {
        try {
            for (String ns : store.listNamespaces()) {
                boolean known = registry.containsKey(ns);
                if (!known) {
                    try {
                        manifests.readLatest(ns).ifPresent(m -> registry.put(ns, m));
                    } catch (ScoFormatException e) {
                        // a namespace that is not a Scoria volume (or a damaged one): not listed, open() reports it
                        continue;
                    }
                }
                if (registry.containsKey(ns) && !open.contains(ns) && (all || !known || replicas.contains(ns))) {
                    try {
                        noteRole(replicas, ns, ReplicationFence.read(store, ns));
                    } catch (ScoFormatException e) {
                        // a damaged replication state: open() reports it
                    }
                }
            }
        } catch (BackendException e) {
            // backend down: nothing learnt this time
        }
    }

    /** Keeps {@code replicas} in step with the role {@code fence} read for {@code ns}. */
    static void noteRole(Set<String> replicas, String ns, ReplicationFence fence) {
        if (fence.replica()) {
            replicas.add(ns);
        } else {
            replicas.remove(ns);
        }
    }
}
