package io.scoria.accelerator.scrub;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelocationPacingTest {
    @Test
    void pauseKeepsTheApplierBusyForTheDutyCycleAtMost() {
        RelocationPacing p = new RelocationPacing(128, 0.05, Duration.ofMillis(50));
        assertEquals(19_000_000L, p.pauseNanos(1_000_000L), "1 ms busy at 5%: 19 ms pause");
        assertEquals(50_000_000L, p.pauseNanos(10_000_000L), "capped at maxPause");
        assertEquals(0, p.pauseNanos(0));
        assertEquals(0, RelocationPacing.fullSpeed().pauseNanos(1_000_000L), "duty cycle 1: no pause");
        assertEquals(0, new RelocationPacing(1, 0.5, Duration.ZERO).pauseNanos(1_000_000L), "maxPause 0: no pause");
    }

    @Test
    void defaultsAreValidAndDocumented() {
        RelocationPacing d = RelocationPacing.defaults();
        assertEquals(RelocationPacing.DEFAULT_BATCH, d.batch());
        assertEquals(RelocationPacing.DEFAULT_DUTY_CYCLE, d.dutyCycle());
        assertEquals(RelocationPacing.DEFAULT_MAX_PAUSE, d.maxPause());
        assertEquals(0.2, d.withDutyCycle(0.2).dutyCycle());
        assertEquals(7, d.withBatch(7).batch());
    }

    @Test
    void badValuesAreRefusedNamingTheSetting() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RelocationPacing(0, 0.1, Duration.ZERO))
                .getMessage().contains("batch"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RelocationPacing(70_000, 0.1, Duration.ZERO))
                .getMessage().contains("batch"));
        for (double bad : new double[]{0, -0.1, 1.5, Double.NaN}) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new RelocationPacing(1, bad, Duration.ZERO))
                    .getMessage().contains("duty cycle"), "duty cycle " + bad);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RelocationPacing(1, 0.1, Duration.ofMillis(-1)))
                .getMessage().contains("maxPause"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RelocationPacing(1, 0.1, null))
                .getMessage().contains("maxPause"));
    }
}
