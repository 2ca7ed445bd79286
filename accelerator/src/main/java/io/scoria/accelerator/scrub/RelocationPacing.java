package io.scoria.accelerator.scrub;

import java.time.Duration;

/**
 * How fast the router applies a scrub result's relocations: a background activity in the spirit
 * of Ceph's {@code osd_scrub_sleep}. Relocations go in batches of {@code batch}; after a batch
 * that took {@code t}, the applier sleeps {@code t × (1 − dutyCycle) / dutyCycle} (at most
 * {@code maxPause}), so it is busy for at most {@code dutyCycle} of the wall time and takes at
 * most that share of the write lock and of a core away from foreground I/O, whatever the
 * machine's speed. The default (batches of 128, duty cycle 0.05, pauses up to 50 ms) moved
 * 4,000-10,000 LBAs per second on a busy 2-core machine while a 4 KiB random writer kept
 * 0.84-0.98x of its rate (benchmarks/README.md, Scrubber): a million relocations take two to
 * four minutes,
 * during which reads of LBAs not yet moved go to the old SCOs (kept until the grace period
 * after the apply has passed). {@code dutyCycle = 1} applies at full speed.
 * Immutable, validated.
 *
 * @param batch     relocations per write-lock hold, 1..65,536
 * @param dutyCycle share of wall time spent relocating, in (0, 1]
 * @param maxPause  upper bound of one pause, 0..10 s
 */
public record RelocationPacing(int batch, double dutyCycle, Duration maxPause) {
    public static final int DEFAULT_BATCH = 128;
    public static final double DEFAULT_DUTY_CYCLE = 0.05;
    public static final Duration DEFAULT_MAX_PAUSE = Duration.ofMillis(50);

    public RelocationPacing {
        if (batch < 1 || batch > 65_536) {
            throw new IllegalArgumentException("relocation batch must be 1..65536: " + batch);
        }
        if (!(dutyCycle > 0 && dutyCycle <= 1)) {
            throw new IllegalArgumentException("relocation duty cycle must be in (0, 1]: " + dutyCycle);
        }
        if (maxPause == null || maxPause.isNegative() || maxPause.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("relocation maxPause must be 0..10s: " + maxPause);
        }
    }

    public static RelocationPacing defaults() {
        return new RelocationPacing(DEFAULT_BATCH, DEFAULT_DUTY_CYCLE, DEFAULT_MAX_PAUSE);
    }

    /** No pauses: relocations as fast as the write lock allows (tools, tests). */
    public static RelocationPacing fullSpeed() {
        return new RelocationPacing(DEFAULT_BATCH, 1, Duration.ZERO);
    }

    public RelocationPacing withDutyCycle(double d) {
        return new RelocationPacing(batch, d, maxPause);
    }

    public RelocationPacing withBatch(int b) {
        return new RelocationPacing(b, dutyCycle, maxPause);
    }

    /** The pause after a batch that was busy for {@code busyNanos}. */
    public long pauseNanos(long busyNanos) {
        if (dutyCycle >= 1 || busyNanos <= 0) {
            return 0;
        }
        double pause = busyNanos * (1 - dutyCycle) / dutyCycle;
        return (long) Math.min(pause, maxPause.toNanos());
    }
}
