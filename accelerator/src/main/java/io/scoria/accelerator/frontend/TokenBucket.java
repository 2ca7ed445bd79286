package io.scoria.accelerator.frontend;

/**
 * A token bucket that may go into debt: a request is let through whenever the bucket holds any
 * token and then takes its whole cost, so requests larger than the bucket still pass and the
 * long-run rate is exactly {@code perSecond}. Starts full ({@code burstSeconds} of the rate).
 *
 * <p>Not thread-safe: its {@link QosGate} holds the lock.
 */
final class TokenBucket {
    private final double perNano;
    private final double capacity;
    private double tokens;
    private long last;

    TokenBucket(long perSecond, double burstSeconds, long now) {
        this.perNano = perSecond / 1e9;
        this.capacity = Math.max(1.0, perSecond * burstSeconds);
        this.tokens = capacity;
        this.last = now;
    }

    /** Adds what the time since the last call earned, up to the capacity. */
    void refill(long now) {
        if (now > last) {
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
        }
    }

    /** Nanoseconds until the bucket holds a token again (0: it holds one now). */
    long waitNanos() {
        return tokens > 0 ? 0 : 1 + (long) Math.ceil(-tokens / perNano);
    }

    void take(double cost) {
        tokens -= cost;
    }
}
