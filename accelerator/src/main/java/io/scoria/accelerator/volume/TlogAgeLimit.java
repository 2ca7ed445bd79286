package io.scoria.accelerator.volume;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Bounds how long a write stays only on local flash and in the FOC when a volume writes slowly:
 * a volume whose oldest write not yet in a sealed TLog is older than {@code maxAge} is rolled
 * (open SCO sealed, TLog sealed, both queued for upload, then the manifest). TLogs are otherwise
 * rolled by size ({@code scosPerTlog}), never per FLUSH, so this adds at most one SCO, one TLog
 * and one manifest PUT per {@code maxAge} to a volume that keeps writing slowly, and nothing to an
 * idle one.
 *
 * <p>One daemon thread per service checks the open volumes every quarter of {@code maxAge} (at
 * least every second); a roll takes the volume's structure lock like a snapshot. Closing stops
 * the thread; idempotent.
 */
final class TlogAgeLimit implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TlogAgeLimit.class);

    private final ScheduledExecutorService timer;

    TlogAgeLimit(Duration maxAge, Supplier<Collection<LocalVolume>> volumes) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scoria-tlog-age");
            t.setDaemon(true);
            return t;
        });
        long limit = maxAge.toNanos();
        long period = Math.max(1000, maxAge.toMillis() / 4);
        timer.scheduleWithFixedDelay(() -> {
            for (LocalVolume v : volumes.get()) {
                try {
                    v.rollIfOlderThan(limit);
                } catch (RuntimeException e) {
                    LOG.warn("volume {}: rolling its TLog after {} failed (retried at the next check): {}", v.name(), maxAge,
                            e.getMessage());
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
