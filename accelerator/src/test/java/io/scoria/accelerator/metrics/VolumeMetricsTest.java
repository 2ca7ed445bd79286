package io.scoria.accelerator.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.scoria.accelerator.VolumeCounters;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VolumeMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, VolumeCounters> open = new HashMap<>();
    private final VolumeMetrics metrics = new VolumeMetrics(registry, 2, v -> Optional.ofNullable(open.get(v)));

    private static VolumeCounters counters(long hits, long misses, long backlog) {
        return new VolumeCounters() {
            @Override
            public long cacheHits() {
                return hits;
            }

            @Override
            public long cacheMisses() {
                return misses;
            }

            @Override
            public long scoBacklogBytes() {
                return backlog;
            }
        };
    }

    private double value(String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(registry.scrape());
        assertTrue(m.find(), series + " not in\n" + registry.scrape());
        return Double.parseDouble(m.group(1));
    }

    @Test
    void volumesPastTheLimitShareTheOtherLabel() {
        for (int i = 1; i <= 5; i++) {
            open.put("vm" + i, counters(i * 10, i, i * 4096L));
            metrics.meters("vm" + i).record(VolumeMeters.WRITE, 4096, System.nanoTime(), true);
        }
        assertEquals(Optional.of("vm1"), metrics.labelOf("vm1"));
        assertEquals(Optional.of("vm2"), metrics.labelOf("vm2"));
        assertEquals(Optional.of(VolumeMetrics.OTHER), metrics.labelOf("vm3"));
        assertSame(metrics.meters("vm3"), metrics.meters("vm5"));
        String text = registry.scrape();
        assertFalse(text.contains("volume=\"vm3\""), text);
        assertEquals(1.0, value("scoria_volume_request_seconds_count{op=\"write\",volume=\"vm1\"}"));
        assertEquals(3.0, value("scoria_volume_request_seconds_count{op=\"write\",volume=\"other\"}"));
        assertEquals(3 * 4096.0, value("scoria_volume_io_bytes_total{op=\"write\",volume=\"other\"}"));
        // other sums vm3..vm5: hits 30+40+50, misses 3+4+5, backlog 12 KiB+16 KiB+20 KiB
        assertEquals(120.0, value("scoria_volume_cache_hits_total{volume=\"other\"}"));
        assertEquals(120.0 / 132, value("scoria_volume_cache_hit_ratio{volume=\"other\"}"), 1e-9);
        assertEquals(48 * 1024.0, value("scoria_volume_sco_backlog_bytes{volume=\"other\"}"));
        assertEquals(20.0 / 22, value("scoria_volume_cache_hit_ratio{volume=\"vm2\"}"), 1e-9);
        assertTrue(text.contains("# HELP scoria_volume_request_seconds "), text);
        assertTrue(text.contains("scoria_volume_request_seconds_bucket{op=\"read\",volume=\"vm1\",le=\"0.001\"}"), text);
    }

    @Test
    void aDeletedVolumeFreesItsLabelForTheNext() {
        metrics.meters("vm1");
        metrics.meters("vm2");
        metrics.meters("vm3");
        metrics.forget("vm1");
        assertFalse(registry.scrape().contains("volume=\"vm1\""));
        metrics.meters("vm4");
        assertEquals(Optional.of("vm4"), metrics.labelOf("vm4"));
        assertEquals(Optional.of(VolumeMetrics.OTHER), metrics.labelOf("vm3"));
    }

    @Test
    void qosDelaysAreCountedPerLabelFromTheGates() {
        java.util.Map<String, Long> delays = new java.util.HashMap<>(java.util.Map.of("vm1", 3L, "vm3", 5L, "vm4", 7L));
        metrics.meters("vm1");
        metrics.meters("vm2");
        metrics.meters("vm3");
        metrics.meters("vm4");
        assertEquals(0.0, value("scoria_volume_qos_delayed_total{volume=\"vm1\"}"), "no gates known yet");
        metrics.qosDelays(v -> delays.getOrDefault(v, 0L));
        assertEquals(3.0, value("scoria_volume_qos_delayed_total{volume=\"vm1\"}"));
        assertEquals(0.0, value("scoria_volume_qos_delayed_total{volume=\"vm2\"}"));
        assertEquals(12.0, value("scoria_volume_qos_delayed_total{volume=\"other\"}"), "vm3 and vm4 share the other label");
        assertTrue(registry.scrape().contains("# HELP scoria_volume_qos_delayed_total"));
    }

    @Test
    void focDegradedCountsTheLabelsDegradedVolumes() {
        AtomicBoolean down = new AtomicBoolean();
        metrics.meters("vm1");
        metrics.meters("vm2");
        metrics.focOpened("vm1", down::get);
        metrics.focOpened("vm3", down::get);
        metrics.focOpened("vm4", () -> true);
        assertEquals(0.0, value("scoria_volume_foc_degraded{volume=\"vm1\"}"));
        assertEquals(1.0, value("scoria_volume_foc_degraded{volume=\"other\"}"));
        down.set(true);
        assertEquals(1.0, value("scoria_volume_foc_degraded{volume=\"vm1\"}"));
        assertEquals(2.0, value("scoria_volume_foc_degraded{volume=\"other\"}"));
        metrics.focClosed("vm4");
        assertEquals(1.0, value("scoria_volume_foc_degraded{volume=\"other\"}"));
    }
}
