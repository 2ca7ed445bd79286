package io.scoria.accelerator.frontend;

import java.util.concurrent.atomic.LongAdder;

/**
 * The quality-of-service gate of one volume, shared by every connection to it on this node (NBD
 * and iSCSI). Before a frontend starts a data command it asks {@link #admit}; a positive answer is
 * how long to wait before asking again, during which the connection stops reading its socket (so a
 * capped client is held back by TCP, not by memory). New {@link QosLimits} take effect on the next
 * request.
 *
 * <p>Thread-safe: an uncapped gate answers without a lock; a capped one takes its own lock for a
 * few arithmetic operations (never across I/O).
 */
public final class QosGate {
    private volatile Buckets buckets;
    private volatile QosLimits limits = QosLimits.NONE;
    private final LongAdder delayed = new LongAdder();

    /** Replaces the caps (buckets start full). */
    public void limits(QosLimits next) {
        limits(next, System.nanoTime());
    }

    void limits(QosLimits next, long now) {
        buckets = next.unlimited() ? null : new Buckets(next, now);
        limits = next;
    }

    public QosLimits limits() {
        return limits;
    }

    /** How many times a request of this volume had to wait for its caps. */
    public long delayed() {
        return delayed.sum();
    }

    /**
     * Lets a command of {@code bytes} through now (returns 0 and charges it), or returns the
     * nanoseconds after which to ask again (nothing charged).
     */
    public long admit(boolean write, long bytes) {
        Buckets b = buckets;
        return b == null ? 0 : admit(b, write, bytes, System.nanoTime());
    }

    /** {@link #admit(boolean, long)} at the time {@code now} (System.nanoTime scale). */
    long admit(boolean write, long bytes, long now) {
        Buckets b = buckets;
        return b == null ? 0 : admit(b, write, bytes, now);
    }

    private long admit(Buckets b, boolean write, long bytes, long now) {
        long wait;
        synchronized (b) {
            wait = b.admit(write, bytes, now);
        }
        if (wait > 0) {
            delayed.increment();
        }
        return wait;
    }

    /** The buckets of one set of limits; a null bucket is an uncapped dimension. */
    private static final class Buckets {
        private final TokenBucket ops;
        private final TokenBucket readOps;
        private final TokenBucket writeOps;
        private final TokenBucket bytes;
        private final TokenBucket readBytes;
        private final TokenBucket writeBytes;

        Buckets(QosLimits l, long now) {
            double burst = l.burstSeconds();
            ops = bucket(l.iops(), burst, now);
            readOps = bucket(l.readIops(), burst, now);
            writeOps = bucket(l.writeIops(), burst, now);
            bytes = bucket(l.bandwidth(), burst, now);
            readBytes = bucket(l.readBandwidth(), burst, now);
            writeBytes = bucket(l.writeBandwidth(), burst, now);
        }

        private static TokenBucket bucket(long rate, double burst, long now) {
            return rate == 0 ? null : new TokenBucket(rate, burst, now);
        }

        long admit(boolean write, long n, long now) {
            TokenBucket dirOps = write ? writeOps : readOps;
            TokenBucket dirBytes = write ? writeBytes : readBytes;
            long wait = Math.max(Math.max(waitOf(ops, now), waitOf(dirOps, now)),
                    Math.max(waitOf(bytes, now), waitOf(dirBytes, now)));
            if (wait > 0) {
                return wait;
            }
            take(ops, 1);
            take(dirOps, 1);
            take(bytes, n);
            take(dirBytes, n);
            return 0;
        }

        private static long waitOf(TokenBucket b, long now) {
            if (b == null) {
                return 0;
            }
            b.refill(now);
            return b.waitNanos();
        }

        private static void take(TokenBucket b, double cost) {
            if (b != null) {
                b.take(cost);
            }
        }
    }
}
