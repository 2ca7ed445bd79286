package io.scoria.accelerator.idle;

import java.time.Duration;
import java.util.Objects;

/**
 * When volumes are closed for being idle ({@code volumes.idleClose}, {@code volumes.maxOpen}).
 *
 * @param idleClose a volume with no call and no attached session for this long is closed; zero: never
 * @param maxOpen   at most this many volumes stay open beyond their attached ones (the least recently
 *                  used are closed first); zero: no bound
 */
public record IdleSettings(Duration idleClose, int maxOpen) {
    /** Ten minutes, no bound. */
    public static final IdleSettings DEFAULTS = new IdleSettings(Duration.ofMinutes(10), 0);

    public IdleSettings {
        Objects.requireNonNull(idleClose, "idleClose");
        if (idleClose.isNegative()) {
            throw new IllegalArgumentException("idleClose must not be negative: " + idleClose);
        }
        if (maxOpen < 0) {
            throw new IllegalArgumentException("maxOpen must be 0 (no bound) or more: " + maxOpen);
        }
    }

    /** True when neither idle close nor the bound is on. */
    public boolean off() {
        return idleClose.isZero() && maxOpen == 0;
    }

    /**
     * How often the sweeper looks: a quarter of {@code idleClose}, from 100 ms to 30 s; every second when
     * only the bound is on.
     */
    public Duration sweepEvery() {
        if (idleClose.isZero()) {
            return Duration.ofSeconds(1);
        }
        Duration q = idleClose.dividedBy(4);
        Duration min = Duration.ofMillis(100);
        Duration max = Duration.ofSeconds(30);
        return q.compareTo(min) < 0 ? min : q.compareTo(max) > 0 ? max : q;
    }
}
