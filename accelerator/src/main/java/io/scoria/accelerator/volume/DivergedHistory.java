package io.scoria.accelerator.volume;

import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.NotFoundException;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds, before a volume restarts from local flash, whether the backend's history has moved on
 * without this router: another site published the namespace (a fail-back shipped the promoted
 * replica's history over this, the old primary), so the local TLogs and SCOs are ahead of, or
 * beside, what the backend now holds and must not be replayed or uploaded. Then the local state is
 * set aside (moved to {@code <data>/diverged/<namespace>-<millis>/}, with the local SCOs that never
 * reached the backend copied to its {@code scos/}, for inspection; never merged) and the volume is
 * rebuilt from the backend.
 *
 * <p>The backend's newest manifest is this router's own when its generation is at most the
 * generation the local {@code uploaded} file records; one above it is still this router's (a
 * restart lost the note of its last publish) when it carries the same volume id, its TLogs are a
 * prefix of the local manifest's and its last TLog ends with the same bytes (the CHECKSUM record,
 * which covers the whole TLog) as the local file. Anything else is a diverged history. Static,
 * stateless; runs on the opening thread before the volume exists.
 */
final class DivergedHistory {
    private static final Logger LOG = LoggerFactory.getLogger(DivergedHistory.class);
    /** Bytes compared at the end of a TLog: the CHECKSUM record and the record before it. */
    private static final int TAIL = 48;

    private DivergedHistory() {
    }

    /**
     * Sets the local state of {@code namespace} aside when the backend's history diverged from
     * it; returns where it went, or empty when the local state is this router's latest (or absent).
     */
    static Optional<Path> setAsideIfDiverged(VolumeContext ctx, String namespace) {
        Path dir = ctx.volumeDir(namespace);
        Optional<VolumeManifest> local = VolumeManifestStore.readLocal(dir.resolve(VolumeLog.MANIFEST));
        if (local.isEmpty()) {
            return Optional.empty();
        }
        Optional<VolumeManifest> backend;
        try {
            backend = ctx.manifests().readLatest(namespace);
        } catch (BackendUnavailableException e) {
            // restart from local flash; the fence (state remembered at the last open) stops the first
            // upload if another site took the volume over meanwhile, and the next open checks again
            LOG.warn("volume {}: {} is unavailable, the local state is not checked against its history now: {}",
                    namespace, ctx.store().name(), e.getMessage());
            return Optional.empty();
        }
        if (backend.isEmpty()) {
            return Optional.empty();
        }
        long published;
        try {
            published = VolumeUploads.readState(dir)[1];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the upload state in " + dir, e);
        }
        String why = divergence(ctx, namespace, dir, local.get(), backend.get(), published);
        if (why == null) {
            return Optional.empty();
        }
        Path aside = ctx.config().dataDir().resolve("diverged").resolve(namespace + "-" + System.currentTimeMillis());
        setAside(ctx, namespace, dir, aside);
        LOG.warn("volume {}: the backend's history diverged from the local state ({}); the local state is set aside in {} "
                + "and the volume is rebuilt from {}", namespace, why, aside, ctx.store().name());
        return Optional.of(aside);
    }

    /** Why the backend's newest manifest is not this router's, or null when it is. */
    static String divergence(VolumeContext ctx, String ns, Path dir, VolumeManifest local, VolumeManifest backend, long published) {
        if (backend.generation() <= published) {
            return null;
        }
        if (!Objects.equals(local.volumeId(), backend.volumeId())) {
            return "the backend holds volume id " + backend.volumeId() + ", the local state " + local.volumeId();
        }
        if (backend.generation() > published + 1) {
            return "the backend's manifest generation is " + backend.generation() + ", this router published up to " + published;
        }
        List<Long> theirs = backend.allTlogs();
        List<Long> mine = local.allTlogs();
        if (theirs.size() > mine.size() || !mine.subList(0, theirs.size()).equals(theirs)) {
            return "the backend's manifest generation " + backend.generation() + " names TLogs that the local history does not";
        }
        long last = backend.lastRouterTlog();
        if (last != 0 && !sameTail(ctx, ns, History.tlogFile(dir, last), last)) {
            return "TLog " + last + " on the backend differs from the local one";
        }
        return null;
    }

    private static boolean sameTail(VolumeContext ctx, String ns, Path file, long tlog) {
        String key = NamespaceLayout.tlogKey(tlog);
        long size;
        try {
            size = ctx.store().stat(ns, key).size();
        } catch (NotFoundException e) {
            return false;
        }
        if (!Files.exists(file)) {
            return true; // nothing local to compare: it cannot be replayed either
        }
        if (size < TAIL) {
            return false;
        }
        ByteBuffer remote = ctx.store().get(ns, key, size - TAIL, TAIL);
        ByteBuffer mine = ByteBuffer.allocate(TAIL);
        try (FileChannel ch = FileChannel.open(file)) {
            if (ch.size() < size) {
                return false;
            }
            int n = 0;
            while (mine.hasRemaining() && n >= 0) {
                n = ch.read(mine, size - TAIL + mine.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        mine.flip();
        return mine.equals(remote);
    }

    private static void setAside(VolumeContext ctx, String ns, Path dir, Path aside) {
        try {
            Files.createDirectories(aside.getParent());
            Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
            Path scos = aside.resolve("scos");
            for (long id : ctx.scoCache().localScoIds(ns)) {
                if (!ctx.scoCache().isUploaded(ns, id)) {
                    Path f = ctx.scoCache().file(ns, id);
                    Files.createDirectories(scos);
                    Files.copy(f, scos.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the local state " + dir + " aside in " + aside, e);
        }
        ctx.scoCache().dropNamespace(ns);
    }
}
