package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link LocalVolumeService} makes volumes: the backend namespace and first manifest of a new
 * volume (with the compression and encryption it asks for), and of a clone of a parent's snapshot (the
 * one named, else the parent's last; with the parent's policy). The first manifest (generation 1) is
 * published and put in the catalogue before this returns. A namespace that exists but is empty (a
 * create cut short by a crash) is made again; anything in it means the volume exists. Opening the new
 * volume is left to the service. Not thread-safe by itself: the service calls it under its monitor.
 */
final class VolumeCreation {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeCreation.class);

    private final VolumeContext context;
    private final VolumeTransforms transforms;
    private final VolumeRegistry registry;
    private final NamespaceCaches namespaces;

    /**
     * @param namespaces the service's per-namespace caches, dropped for every namespace created (a deleted
     *                   volume of that name may have left entries)
     */
    VolumeCreation(VolumeContext context, VolumeTransforms transforms, VolumeRegistry registry, NamespaceCaches namespaces) {
        this.context = context;
        this.transforms = transforms;
        this.registry = registry;
        this.namespaces = namespaces;
    }

    /** Makes volume {@code name} as {@code spec} says; returns its first manifest. */
    VolumeManifest create(String name, VolumeSpec spec, String project) {
        VolumeManifest m = VolumeManifest.create(name, new VolumeManifest.Config(spec.sizeBytes(), spec.clusterSize(), spec.scoSize(), name),
                VolumeManifest.checkProject(project));
        return createNamespace(m, transforms.policyFor(spec.compression(), spec.encryption()));
    }

    /**
     * Makes clone {@code cloneName} of snapshot {@code snapshot} of volume {@code parent} (null: the
     * parent's last snapshot), in project {@code project} (null: the parent's); returns its first manifest.
     */
    VolumeManifest cloneOf(String parent, String snapshot, String cloneName, String project) {
        if (!registry.contains(parent)) {
            throw new VolumeNotFoundException("no volume '" + parent + "' to clone");
        }
        VolumeManifest p = context.manifestOf(parent);
        VolumeManifest.Snapshot snap;
        if (snapshot == null) {
            if (p.snapshots().isEmpty()) {
                throw new VolumeNotFoundException("volume '" + parent + "' has no snapshot to clone; take one or name one");
            }
            snap = p.snapshots().get(p.snapshots().size() - 1);
        } else {
            snap = p.snapshot(snapshot);
            if (snap == null) {
                throw new VolumeNotFoundException("volume '" + parent + "' has no snapshot '" + snapshot + "'");
            }
        }
        VolumeManifest.Config pc = p.config();
        VolumeManifest m = VolumeManifest.create(cloneName, new VolumeManifest.Config(pc.sizeBytes(), pc.clusterSize(), pc.scoSize(), cloneName),
                        project == null ? p.project() : VolumeManifest.checkProject(project))
                .withParent(new VolumeManifest.Parent(pc.namespace(), p.name(), snap.name(), snap.id()));
        return createNamespace(m, transforms.policyOf(pc.namespace()));
    }

    private VolumeManifest createNamespace(VolumeManifest m, TransformPolicy policy) {
        ObjectStore store = context.store();
        VolumeManifestStore manifests = context.manifests();
        String ns = m.config().namespace();
        if (registry.contains(ns)) {
            throw new VolumeConflictException("volume '" + m.name() + "' already exists");
        }
        if (store.namespaceExists(ns)) {
            // a create cut short between its namespace and its first manifest leaves an empty namespace
            // behind; anything in it (a manifest, a replica's state, data) means it belongs to someone
            if (manifests.readLatest(ns).isPresent() || !store.listAll(ns, "").isEmpty()) {
                throw new VolumeConflictException("volume '" + m.name() + "' already exists");
            }
            LOG.warn("volume {}: its namespace exists but is empty (a create cut short by a crash); it is made again",
                    m.name());
            store.deleteNamespace(ns);
        }
        namespaces.forget(ns); // a deleted volume of that name may have left ranges of its SCOs, and its cipher
        transforms.createNamespace(ns, policy);
        VolumeManifest first = m.withGeneration(1);
        manifests.publish(ns, first);
        registry.put(ns, first);
        return first;
    }
}
