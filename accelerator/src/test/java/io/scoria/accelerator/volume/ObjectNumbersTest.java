package io.scoria.accelerator.volume;

import io.scoria.accelerator.NumberReservation;
import io.scoria.accelerator.OwnershipGuard;
import io.scoria.accelerator.VolumeFencedException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ObjectNumbers} over a guard that hands out ranges of 8 (as {@code NumberRanges} does with its
 * blocks): numbers stay inside the reservation, a new one is asked ahead of need, an outage of the
 * coordination service only fails a number once the range is used up, and a new epoch starts where the
 * guard says.
 */
class ObjectNumbersTest {
    /** Ranges of 8 from the candidate (or from {@code floor} in a new epoch); fails while {@code down}. */
    private static final class Guard implements OwnershipGuard {
        long epoch = 1;
        long floor;
        boolean down;
        final List<long[]> calls = new ArrayList<>();

        @Override
        public long epoch(String volume) {
            return epoch;
        }

        @Override
        public void check(String volume, long e) {
        }

        @Override
        public long reservePublish(String volume, long e, long generation) {
            return generation;
        }

        @Override
        public NumberReservation reserveNumbers(String volume, long e, long nextSco, long nextTlog) {
            calls.add(new long[] {nextSco, nextTlog});
            if (down) {
                throw new VolumeFencedException("volume '" + volume + "': ZooKeeper unreachable");
            }
            long sco = Math.max(nextSco, floor);
            long tlog = Math.max(nextTlog, floor);
            return new NumberReservation(e, sco, sco + 8, tlog, tlog + 8);
        }
    }

    @Test
    void numbersStayInsideTheReservationWhichIsRenewedAheadOfNeed() {
        Guard g = new Guard();
        ObjectNumbers n = new ObjectNumbers(g, "vol");
        n.claim(io.scoria.sco.VolumeManifest.create("vol", new io.scoria.sco.VolumeManifest.Config(1 << 20, 4096, 65536,
                "vol"), "default"), 1);
        assertEquals(1, g.calls.size());
        long sco = 1;
        for (int i = 0; i < 30; i++) {
            long got = n.sco(sco, 2);
            assertTrue(got >= sco);
            sco = got + 1;
        }
        assertEquals(31, sco, "no number skipped within one epoch");
        assertTrue(g.calls.size() >= 4, "renewed about every 6 numbers: " + g.calls.size());

        g.down = true; // an outage: the rest of the range is still usable, then a number fails
        int served = 0;
        while (true) {
            try {
                sco = n.sco(sco, 2) + 1;
                served++;
            } catch (VolumeFencedException e) {
                break;
            }
        }
        assertTrue(served >= 1 && served <= 8, "served " + served + " from what was reserved");
        g.down = false;
        long next = n.sco(sco, 2);
        assertEquals(sco, next, "after the outage it goes on without a gap");

        g.epoch = 2;
        g.floor = 1000; // an earlier epoch reserved up to 1,000
        assertEquals(1000, n.sco(next + 1, 2), "a new epoch starts above what earlier epochs reserved");
        assertEquals(1000, n.tlog(1001, 3));
    }

    @Test
    void withoutALeaseNothingIsReservedAtOpenAndTheFirstNumberFailsIfTheGuardRefuses() {
        Guard g = new Guard();
        g.epoch = 0;
        ObjectNumbers n = new ObjectNumbers(g, "vol");
        var m = io.scoria.sco.VolumeManifest.create("vol", new io.scoria.sco.VolumeManifest.Config(1 << 20, 4096, 65536,
                "vol"), "default");
        assertEquals(m, n.claim(m, m.nextTlogNumber()));
        assertEquals(0, g.calls.size());
        g.down = true;
        assertThrows(VolumeFencedException.class, () -> n.sco(1, 1));
    }
}
