package io.scoria.accelerator.frontend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token buckets of a volume's QoS gate, on an explicit clock (no timing in the test). */
class QosGateTest {
    private static final long SECOND = 1_000_000_000L;

    /** Admits requests as fast as the gate allows from {@code start} for {@code nanos}; returns how many. */
    private static int drive(QosGate gate, boolean write, long bytes, long start, long nanos) {
        long now = start;
        int admitted = 0;
        while (now < start + nanos) {
            long wait = gate.admit(write, bytes, now);
            if (wait == 0) {
                admitted++;
            } else {
                assertTrue(wait > 0);
                now += wait;
            }
        }
        return admitted;
    }

    @Test
    void uncappedGateAdmitsEverything() {
        QosGate gate = new QosGate();
        for (int i = 0; i < 100_000; i++) {
            assertEquals(0, gate.admit(true, 1 << 20, i));
        }
        assertEquals(0, gate.delayed());
    }

    @Test
    void iopsCapHoldsTheRateAfterTheBurst() {
        QosGate gate = new QosGate();
        gate.limits(new QosLimits(1000, 0, 0, 0, 0, 0, 1.0), 0);
        int first = drive(gate, true, 4096, 0, SECOND);       // a full bucket (1,000) plus one second of refill
        assertTrue(first >= 1999 && first <= 2001, "burst second admitted " + first);
        int steady = drive(gate, true, 4096, SECOND, 10 * SECOND);
        assertTrue(Math.abs(steady - 10_000) <= 2, "10 s at 1,000 IOPS admitted " + steady);
        assertTrue(gate.delayed() > 0);
    }

    @Test
    void bandwidthCapCountsBytesAndLetsLargeRequestsThroughInDebt() {
        QosGate gate = new QosGate();
        gate.limits(new QosLimits(0, 0, 0, 1 << 20, 0, 0, 0.5), 0); // 1 MiB/s, bucket of 512 KiB
        // a 4 MiB request is larger than the bucket: it passes, then the gate waits until the debt is paid
        assertEquals(0, gate.admit(false, 4 << 20, 0));
        long wait = gate.admit(false, 4096, 0);
        assertTrue(wait > 3 * SECOND && wait < 4 * SECOND, "wait after a 4 MiB request at 1 MiB/s: " + wait);
        int n = drive(gate, false, 64 << 10, 4 * SECOND, 8 * SECOND); // 8 s at 1 MiB/s of 64 KiB requests
        assertTrue(Math.abs(n - 128) <= 9, "64 KiB requests in 8 s: " + n); // 128 plus up to the bucket
    }

    @Test
    void readAndWriteCapsApplyToTheirDirectionOnly() {
        QosGate gate = new QosGate();
        gate.limits(new QosLimits(0, 0, 100, 0, 0, 0, 1.0), 0);
        int writes = drive(gate, true, 4096, SECOND, 5 * SECOND);
        assertTrue(Math.abs(writes - 600) <= 2, "writes: " + writes); // bucket of 100 + 5 s of 100
        for (int i = 0; i < 10_000; i++) {
            assertEquals(0, gate.admit(false, 4096, 6 * SECOND)); // reads are not capped
        }
    }

    @Test
    void newLimitsTakeEffectOnTheNextRequest() {
        QosGate gate = new QosGate();
        gate.limits(new QosLimits(10, 0, 0, 0, 0, 0, 1.0), 0);
        int admittedAtOnce = 0;
        while (gate.admit(true, 4096, SECOND) == 0) {
            admittedAtOnce++;
        }
        assertEquals(10, admittedAtOnce, "a full bucket of 10, then the cap holds");
        gate.limits(QosLimits.NONE, SECOND);
        assertEquals(0, gate.admit(true, 4096, SECOND));
        assertEquals(QosLimits.NONE, gate.limits());
    }

    @Test
    void invalidLimitsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new QosLimits(0, -1, 0, 0, 0, 0, 1));
        assertTrue(e.getMessage().startsWith("readIops"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new QosLimits(0, 0, 0, 0, 0, 0, 0));
        assertTrue(e.getMessage().startsWith("burstSeconds"), e.getMessage());
    }
}
