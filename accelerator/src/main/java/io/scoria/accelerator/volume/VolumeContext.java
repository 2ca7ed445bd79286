package io.scoria.accelerator.volume;

import io.scoria.accelerator.dedup.ClusterCache;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.LocalScoCache;
import io.scoria.sco.cache.ScoFileCipher;
import io.scoria.sco.manifest.VolumeManifestStore;

import java.nio.file.Path;
import java.util.List;

/**
 * What every volume of one {@link LocalVolumeService} shares: the backend, the node's caches,
 * the upload worker, and look-ups across volumes (manifests of parents, clones of a volume).
 */
interface VolumeContext {
    EngineConfig config();

    ObjectStore store();

    VolumeManifestStore manifests();

    LocalScoCache scoCache();

    /**
     * The cipher of the local SCO files of {@code namespace}, or null when its policy does not
     * encrypt (its files are in the clear). Allocation-free once known (the read path asks per
     * cluster).
     *
     * @throws io.scoria.backend.transform.WrongKeyException naming the volume when its data key cannot be unwrapped
     */
    ScoFileCipher scoCipher(String namespace);

    ClusterCache clusterCache();

    /** The SCO ranges this node fetched for coalesced cold reads, shared by all volumes. */
    FetchedRanges fetchedRanges();

    /** The parent snapshot maps that clones on this node lie over, built once per node and snapshot. */
    ParentMaps parentMaps();

    Uploader uploader();

    /** Whether this node may change a volume's backend objects (uploads, manifest publishes). */
    io.scoria.accelerator.OwnershipGuard ownership();

    /** Local directory of a volume's metadata and TLogs. */
    default Path volumeDir(String namespace) {
        return config().dataDir().resolve("volumes").resolve(namespace);
    }

    /** The newest manifest of a namespace: the local copy when this node holds it, else the backend's. */
    VolumeManifest manifestOf(String namespace);

    /** Manifests of the clones whose parent is {@code namespace}. */
    List<VolumeManifest> clonesOf(String namespace);

    /** Called by a volume whenever its manifest changed. */
    void manifestChanged(VolumeManifest m);
}
