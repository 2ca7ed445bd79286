package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.foc.FailoverCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The open of a volume whose fail-over cache is placed per volume ({@link FocPlacement#movable()}).
 * Afterwards the owner's FOC client keeps every entry of the volume that is not yet on the backend, so
 * that it can re-send all of them when the FOC moves to another server:
 * <ol>
 * <li>the previous owner's entries (at {@code from}, which may be the new server itself) are replayed
 * into the volume <em>with</em> the write hook on, so each is mirrored again, under this open's tags, to
 * the new FOC; this happens whether or not the local copy survived: with a sync FOC whose acknowledgements
 * wait out DEGRADED every acknowledged write is among those entries, in write order, so applying them over
 * a surviving local copy only drops writes that were never acknowledged;</li>
 * <li>the new FOC must acknowledge them (flush), then the previous server's entries are deleted (when it is
 * another server) and the new server drops what earlier opens left there (tags below this open's).</li>
 * </ol>
 * If {@code from} cannot be reached the open fails (and is retried): its entries may hold acknowledged
 * writes. Stateless.
 */
final class MovableFocOpen {
    private static final Logger LOG = LoggerFactory.getLogger(MovableFocOpen.class);

    private MovableFocOpen() {
    }

    /**
     * @param from         the previous owner's FOC server, or null if the volume never had one
     * @param at           the FOC server {@code binding}'s cache is linked to
     * @param previousLink opens a link to {@code from} (only called when it differs from {@code at})
     */
    static void prepare(Volume volume, VolumeBinding binding, String from, String at, Supplier<FailoverCache> previousLink,
                        Path spool) {
        FailoverCache cache = binding.cache();
        if (volume.isReadOnly()) {
            return;
        }
        long t0 = System.nanoTime();
        long replayed = 0;
        if (from != null && from.equals(at)) {
            replayed = ReplaySpool.replay(cache, volume, spool);
            volume.flush();
            cache.flush();
        } else if (from != null) {
            try (FailoverCache previous = previousLink.get()) {
                replayed = ReplaySpool.replay(previous, volume, spool);
                volume.flush();
                cache.flush();
                previous.unregister();
            }
        }
        cache.removeUpTo(binding.tagBase() - 1);
        if (from != null) {
            LOG.info("volume {}: replayed {} fail-over cache entries from {} into the volume and its FOC at {} in {} ms",
                    volume.name(), replayed, from, at, (System.nanoTime() - t0) / 1_000_000);
        }
    }
}
