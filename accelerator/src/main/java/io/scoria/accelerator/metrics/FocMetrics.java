package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.BooleanSupplier;

/**
 * Per-volume fail-over cache meters: {@code scoria.foc.degraded{volume}} is 0 while the volume's
 * FOC is OK and 1 otherwise (DEGRADED, FENCED or CLOSED), read at scrape time. The FOC wiring
 * feeds it a predicate, so this package does not import {@code foc}.
 */
public final class FocMetrics {
    private FocMetrics() {
    }

    /** Registers the gauge of one open volume; remove the returned meter when the volume closes. */
    public static Meter bindVolume(MeterRegistry registry, String volume, BooleanSupplier degraded) {
        return Gauge.builder("scoria.foc.degraded", degraded, d -> d.getAsBoolean() ? 1 : 0)
                .description("1 while the volume's writes are not replicated to its fail-over cache")
                .tag("volume", volume)
                .strongReference(true) // the predicate is a lambda held nowhere else: weakly held, GC turns it into NaN
                .register(registry);
    }
}
