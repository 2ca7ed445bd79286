package io.scoria.accelerator.volume;

import io.scoria.sco.cache.LocalScoCache;
import io.scoria.sco.cache.OpenSco;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * The empty file of the SCO a volume expects to open next, created by the SCO cache off the
 * append path ({@link LocalScoCache#prepare}) while the current SCO fills, so that opening the
 * next SCO does not pay for creating and sizing its file.
 *
 * <p>Not thread-safe: used by {@link VolumeLog} under the volume's append lock (or the structure
 * lock held exclusively); the file itself is created on the SCO cache's thread.
 */
final class NextScoFile {
    private static final Logger LOG = LoggerFactory.getLogger(NextScoFile.class);

    private final LocalScoCache cache;
    private final String ns;
    /** The file of SCO {@link #id}, being created. */
    private CompletableFuture<Path> prepared;
    private long id;

    NextScoFile(LocalScoCache cache, String ns) {
        this.cache = cache;
        this.ns = ns;
    }

    /** Starts creating the file of SCO {@code scoId}, expected next. */
    void request(long scoId) {
        id = scoId;
        prepared = cache.prepare(ns, scoId);
    }

    /**
     * True if the file of SCO {@code scoId} was prepared and exists (waiting for it if need be: it
     * was requested a whole SCO ago); a preparation for another SCO (the counters moved) is
     * discarded.
     */
    boolean take(long scoId) {
        CompletableFuture<Path> p = prepared;
        if (p == null) {
            return false;
        }
        prepared = null;
        if (id != scoId) {
            LocalScoCache.discardPrepared(p);
            return false;
        }
        try {
            p.join();
            return true;
        } catch (RuntimeException e) {
            LOG.warn("volume {}: SCO file {} was not prepared ({}); creating it on the write path", ns,
                    OpenSco.describe(scoId), e.toString());
            return false;
        }
    }

    /** Deletes the file prepared for the next SCO, if any (the volume closes or is deleted). */
    void discard() {
        CompletableFuture<Path> p = prepared;
        prepared = null;
        if (p != null) {
            LocalScoCache.discardPrepared(p);
        }
    }

    /**
     * Waits until the creation of the prepared file, if any, is over; the file stays (as after
     * kill -9: a restart deletes it).
     */
    void awaitCreation() {
        if (prepared != null) {
            prepared.exceptionally(e -> null).join();
        }
    }
}
