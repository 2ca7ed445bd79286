package io.scoria.accelerator.volume;

import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.sco.VolumeManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * How {@link LocalVolumeService} removes volumes and their local copies: delete (backend namespace,
 * local flash, cached clusters wiped), the wipe check of a deleted volume, and forgetting this node's
 * local copy of a volume (a replica's at every close, a stale one before a take-over). Not thread-safe
 * by itself: the service calls it under its monitor.
 */
final class VolumeRemoval {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeRemoval.class);
    static final Duration DELETE_UPLOAD_WAIT = Duration.ofSeconds(60);

    private final VolumeContext context;
    private final VolumeRegistry registry;
    private final Map<String, LocalVolume> open;
    private final ClosedVolumeUploads closedUploads;
    private final Predicate<String> replica;

    /**
     * @param open          the service's open volumes (a live map); {@code replica}: whether a volume is a replica now
     * @param closedUploads the upload queues of volumes closed since, dropped before their namespace is deleted
     */
    VolumeRemoval(VolumeContext context, VolumeRegistry registry, Map<String, LocalVolume> open,
                  ClosedVolumeUploads closedUploads, Predicate<String> replica) {
        this.context = context;
        this.registry = registry;
        this.open = open;
        this.closedUploads = closedUploads;
        this.replica = replica;
    }

    /** Deletes volume {@code name} everywhere; refused for a replica and for a volume with clones. */
    void delete(String name) {
        VolumeManifest m = registry.get(name);
        if (m == null) {
            throw new VolumeNotFoundException("no volume '" + name + "'");
        }
        if (replica.test(name) || ReplicationFence.read(context.store(), name).replica()) {
            throw new ReadOnlyVolumeException("volume '" + name + "' is a replica a replication job "
                    + "ships into: it is not deleted from here (stop replicating it, then delete its namespace on this backend)");
        }
        List<VolumeManifest> clones = registry.clonesOf(name);
        if (!clones.isEmpty()) {
            throw new VolumeConflictException("volume '" + name + "' has clones that still read from it: "
                    + clones.stream().map(VolumeManifest::name).toList() + "; hydrate and flatten them (`scoria clone hydrate`,"
                    + " `scoria clone flatten`) or delete them first");
        }
        closedUploads.supersede(name); // a closed instance's queued uploads must not land after the namespace is gone
        LocalVolume v = open.remove(name);
        if (v != null) {
            v.markDeleted();
            // an upload of it running now must not put an object back after the namespace is deleted
            if (!context.uploader().awaitRunning(DELETE_UPLOAD_WAIT)) {
                LOG.warn("volume {}: an upload still runs after {}; `scoria volume wipe-check {}` shows whether it"
                        + " left an object", name, DELETE_UPLOAD_WAIT, name);
            }
            v.crash(VolumeWipe.discarding(context.clusterCache()));
        } else {
            VolumeWipe.discardClosed(context.volumeDir(name), m, context.clusterCache());
        }
        context.store().deleteNamespace(name);
        context.scoCache().dropNamespace(name);
        deleteTree(context.volumeDir(name));
        context.parentMaps().forget(name);
        registry.remove(name);
    }

    /** What is left on the backend and on this node's flash of deleted volume {@code name}. */
    WipeReport wipeCheck(String name) {
        return VolumeWipe.check(name, registry.contains(name), context.store(), context.volumeDir(name),
                context.config().dataDir().resolve("sco").resolve(name));
    }

    /**
     * Drops this node's local state of a volume that is not open (metadata, TLogs, cached SCOs).
     *
     * @throws VolumeConflictException if the volume is open on this node
     */
    void forgetLocal(String name) {
        if (open.containsKey(name)) {
            throw new VolumeConflictException("volume '" + name + "' is open on this node; close it before forgetting its local copy");
        }
        discardLocalState(name);
    }

    /** Drops the local state of namespace {@code ns} (a replica's after its close: rebuilt at every open). */
    void discardLocalState(String ns) {
        context.scoCache().dropNamespace(ns);
        deleteTree(context.volumeDir(ns));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
