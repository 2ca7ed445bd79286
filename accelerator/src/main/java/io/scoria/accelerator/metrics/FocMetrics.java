package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.accelerator.foc.FocState;

import java.util.function.Supplier;

/**
 * Per-volume fail-over cache meters: {@code scoria.foc.degraded{volume}} is 0 while the volume's
 * FOC is OK and 1 otherwise (DEGRADED, FENCED or CLOSED), read at scrape time.
 */
public final class FocMetrics {
    private FocMetrics() {
    }

    /** Registers the gauge of one open volume; remove the returned meter when the volume closes. */
    public static Meter bindVolume(MeterRegistry registry, String volume, Supplier<FocState> state) {
        return Gauge.builder("scoria.foc.degraded", state, s -> s.get() == FocState.OK ? 0 : 1)
                .description("1 while the volume's writes are not replicated to its fail-over cache")
                .tag("volume", volume)
                .strongReference(true) // the supplier is a method reference held nowhere else: weakly held, GC turns it into NaN
                .register(registry);
    }
}
