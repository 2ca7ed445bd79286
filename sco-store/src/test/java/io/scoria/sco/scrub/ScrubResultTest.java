package io.scoria.sco.scrub;

import io.scoria.sco.ScoFormatException;
import io.scoria.sco.ScrubbedTlogs;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScrubResultTest {
    private static ScrubResult sample() {
        return new ScrubResult("g7-s1-2", "vol1", 7,
                List.of(new ScrubResult.Segment(2, "b", List.of(1L, 2L), List.of(ScrubbedTlogs.outputNumber(1, 0)), true)),
                List.of("sco/00000001.01"), List.of("sco/00000001.00", "sco/00000002.00"), List.of(1L, 2L), 8 << 20, 4 << 20,
                new long[] {5, 11, 12, 6, 13, 14});
    }

    @Test
    void roundTrip() {
        ScrubResult r = sample();
        ScrubResult back = ScrubResult.decode(r.encode(), "x");
        assertEquals(r.id(), back.id());
        assertEquals(r.segments(), back.segments());
        assertEquals(r.obsoleteScos(), back.obsoleteScos());
        assertEquals(2, back.relocationCount());
        assertEquals(6, back.relocationLba(1));
        assertEquals(14, back.relocationNew(1));
        assertArrayEquals(r.relocationTriples(), back.relocationTriples());
    }

    @Test
    void everyFlippedByteIsDetected() {
        ByteBuffer good = sample().encode();
        for (int i = 0; i < good.limit(); i++) {
            ByteBuffer bad = ByteBuffer.allocate(good.limit()).put(good.duplicate()).flip();
            bad.put(i, (byte) (bad.get(i) ^ 0x40));
            ScoFormatException e = assertThrows(ScoFormatException.class, () -> ScrubResult.decode(bad, "scrub/result/x"));
            assertTrue(e.getMessage().contains("scrub/result/x"), e.getMessage());
        }
        assertThrows(ScoFormatException.class, () -> ScrubResult.decode(ByteBuffer.allocate(10), "short"));
    }

    @Test
    void scrubbedTlogNumbersAreUniqueAndRecognised() {
        long first = ScrubbedTlogs.outputNumber(42, 0);
        long second = ScrubbedTlogs.outputNumber(42, 1);
        long again = ScrubbedTlogs.outputNumber(first, 0);
        assertTrue(ScrubbedTlogs.isScrubOutput(first));
        assertFalse(ScrubbedTlogs.isScrubOutput(42));
        assertEquals(42, ScrubbedTlogs.base(first));
        assertEquals(42, ScrubbedTlogs.base(again));
        assertEquals(2, ScrubbedTlogs.generation(again));
        assertTrue(first != second && first != again && second != again);
        assertTrue(first > 0 && again > 0);
    }
}
