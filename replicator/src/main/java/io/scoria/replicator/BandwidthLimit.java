package io.scoria.replicator;

/**
 * A token bucket over bytes per second shared by every shipping thread of a job: {@link #acquire}
 * blocks until the bytes fit in the budget. A burst of at most one second's bytes is allowed.
 * {@code 0} bytes per second means unlimited. Thread-safe (one monitor, held only to book bytes,
 * never while sleeping).
 */
public final class BandwidthLimit {
    private final long bytesPerSecond;
    private long available;
    private long lastRefillNanos = System.nanoTime();

    public BandwidthLimit(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytesPerSecond must be >= 0: " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.available = bytesPerSecond;
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Waits until {@code bytes} may be sent (a request larger than the bucket goes into debt). */
    public void acquire(long bytes) throws InterruptedException {
        if (bytesPerSecond == 0 || bytes <= 0) {
            return;
        }
        long waitNanos;
        synchronized (this) {
            long now = System.nanoTime();
            available = Math.min(bytesPerSecond, available + (now - lastRefillNanos) * bytesPerSecond / 1_000_000_000L);
            lastRefillNanos = now;
            available -= bytes;
            waitNanos = available >= 0 ? 0 : -available * 1_000_000_000L / bytesPerSecond;
        }
        if (waitNanos > 0) {
            Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
        }
    }
}
