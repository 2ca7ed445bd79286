package io.scoria.accelerator.control;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The schedule text and the retention rules. */
class SnapshotScheduleTest {
    private static final long HOUR = 3_600_000L;

    @Test
    void readsAndWritesTheTextForm() {
        SnapshotSchedule s = SnapshotSchedule.parse("every 1h, keep 24 hourly + 7 daily");
        assertEquals(new SnapshotSchedule(Duration.ofHours(1), 0, 24, 7, 0), s);
        assertEquals("every 1h, keep 24 hourly + 7 daily", s.text());
        assertEquals(s, SnapshotSchedule.parse(s.text()));
        assertEquals(new SnapshotSchedule(Duration.ofSeconds(90), 3, 0, 0, 2),
                SnapshotSchedule.parse("  Every 90s, keep 3 last and 2 weekly"));
        assertEquals("every 90s, keep 3 last + 2 weekly", SnapshotSchedule.parse("every 90s, keep 3 last, 2 weekly").text());
        assertEquals("every 1d, keep 1 last", SnapshotSchedule.parse("every 1d, keep 1 last").text());
    }

    @Test
    void badTextIsRefusedNamingWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SnapshotSchedule.parse("hourly")).getMessage()
                .contains("expected e.g."));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SnapshotSchedule.parse("every 1h")).getMessage()
                .contains("no retention"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SnapshotSchedule.parse("every 1y, keep 1 last"))
                .getMessage().contains("duration"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SnapshotSchedule.parse("every 1h, keep 3 monthly"))
                .getMessage().contains("3 monthly"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SnapshotSchedule.parse("every 1h, keep 0 last"))
                .getMessage().contains("keep something"));
        assertThrows(IllegalArgumentException.class, () -> SnapshotSchedule.parse("every 500ms, keep 1 last"));
        assertThrows(IllegalArgumentException.class, () -> SnapshotSchedule.parse(null));
    }

    @Test
    void keepsTheNewestOfEachHourAndDay() {
        // one snapshot every 20 minutes for three days
        List<Long> times = new ArrayList<>();
        long start = 1_767_225_600_000L; // 2026-01-01T00:00Z
        for (long t = start; t < start + 72 * HOUR; t += HOUR / 3) {
            times.add(t);
        }
        long newest = times.get(times.size() - 1);
        Set<Long> kept = SnapshotSchedule.parse("every 20m, keep 2 last + 3 hourly + 2 daily").keep(times);
        // last 2; the newest of the last 3 hours (the newest is also the newest of its hour and day);
        // the newest of the previous day
        Set<Long> expected = Set.of(newest, newest - HOUR / 3, newest - HOUR, newest - 2 * HOUR, newest - 24 * HOUR);
        assertEquals(expected, kept);
        assertEquals(Set.of(newest), SnapshotSchedule.parse("every 1h, keep 1 last").keep(times));
        assertEquals(times.size(), SnapshotSchedule.parse("every 1h, keep 1000 last").keep(times).size());
        assertTrue(SnapshotSchedule.parse("every 1h, keep 5 last").keep(List.of()).isEmpty());
    }
}
