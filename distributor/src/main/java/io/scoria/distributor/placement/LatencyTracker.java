package io.scoria.distributor.placement;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Recent latencies of successful fragment reads, and the hedge delay derived from them:
 * twice their 95th percentile, between 2 ms and 500 ms; 50 ms until 32 reads were seen. Reads
 * that were cancelled because others answered first are not recorded, so a slow store does
 * not drag the delay up. Thread-safe; recording does not allocate.
 */
public final class LatencyTracker {
    private static final int SAMPLES = 512;
    private static final long INITIAL_NANOS = 50_000_000L;
    private static final long MIN_NANOS = 2_000_000L;
    private static final long MAX_NANOS = 500_000_000L;

    private final AtomicLongArray samples = new AtomicLongArray(SAMPLES);
    private final AtomicLong count = new AtomicLong();
    private final Duration fixed;
    private volatile long cachedDelay = INITIAL_NANOS;
    private volatile long cachedAt = -1;

    /** @param fixed a fixed delay to use instead of the derived one, or null */
    public LatencyTracker(Duration fixed) {
        this.fixed = fixed;
    }

    public void record(long nanos) {
        long n = count.getAndIncrement();
        samples.set((int) (n % SAMPLES), nanos);
    }

    public long hedgeDelayNanos() {
        if (fixed != null) {
            return fixed.toNanos();
        }
        long n = count.get();
        if (n < 32) {
            return INITIAL_NANOS;
        }
        if (n - cachedAt >= 32 || cachedAt < 0) {
            int have = (int) Math.min(n, SAMPLES);
            long[] copy = new long[have];
            for (int i = 0; i < have; i++) {
                copy[i] = samples.get(i);
            }
            Arrays.sort(copy);
            long p95 = copy[Math.min(have - 1, (int) Math.ceil(have * 0.95) - 1)];
            cachedDelay = Math.max(MIN_NANOS, Math.min(MAX_NANOS, 2 * p95));
            cachedAt = n;
        }
        return cachedDelay;
    }
}
