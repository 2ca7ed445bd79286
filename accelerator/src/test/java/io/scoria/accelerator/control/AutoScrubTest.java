package io.scoria.accelerator.control;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scrub decisions on a real {@link JobService}: a volume gets a scrub job only when its snapshots
 * are on the backend, one is not scrubbed and its garbage ratio reaches the threshold; never twice at once.
 */
class AutoScrubTest {
    @TempDir
    Path dir;
    JobService jobs;
    final CountDownLatch release = new CountDownLatch(1);
    final Map<String, AutoScrub.Garbage> measured = new ConcurrentHashMap<>();

    @AfterEach
    void tearDown() {
        release.countDown();
        jobs.close();
    }

    /** A scrub job kind that waits for the test. */
    final class HeldScrubs implements JobType {
        @Override
        public String kind() {
            return ScrubJobs.KIND;
        }

        @Override
        public boolean resumable() {
            return false;
        }

        @Override
        public JobTask task(Map<String, String> params, String checkpoint) {
            return c -> {
                release.await();
                return null;
            };
        }
    }

    private List<JobRecord> scrubs(String volume) {
        return jobs.list().stream().filter(r -> r.target().equals(volume)).toList();
    }

    @Test
    void scrubsOnlyVolumesWithEnoughGarbageInSnapshotsOnTheBackend() {
        jobs = new JobService(JobsConfig.defaults(dir), List.of(new HeldScrubs()));
        AutoScrub auto = new AutoScrub(jobs, v -> Optional.ofNullable(measured.get(v)),
                new AutoScrub.Settings(0.2, Duration.ofHours(1)));
        long mib = 1 << 20;
        measured.put("overwritten", new AutoScrub.Garbage(128 * mib, 16 * mib, 1, false));
        measured.put("fresh", new AutoScrub.Garbage(20 * mib, 18 * mib, 1, true));
        measured.put("scrubbed", new AutoScrub.Garbage(128 * mib, 16 * mib, 0, true));
        List<String> all = List.of("fresh", "overwritten", "scrubbed", "elsewhere");
        all.forEach(auto::snapshotTaken);
        assertTrue(auto.lastMeasured("fresh").isEmpty(), "nothing measured before the first tick");
        assertEquals(4, auto.tick(0, all, 10));
        assertEquals(18 * mib, auto.lastMeasured("fresh").orElseThrow().garbage().liveBytes());
        assertTrue(auto.lastMeasured("elsewhere").isEmpty(), "another node serves it");
        assertTrue(scrubs("overwritten").isEmpty(), "its snapshot is not on the backend yet");
        assertTrue(scrubs("fresh").isEmpty(), "garbage 0.1 < 0.2");
        assertTrue(scrubs("scrubbed").isEmpty(), "nothing left to scrub");
        measured.put("overwritten", new AutoScrub.Garbage(128 * mib, 16 * mib, 1, true));
        assertEquals(1, auto.tick(1000, all, 10), "only the volume waiting for its upload is looked at again");
        assertEquals(1, scrubs("overwritten").size());
        assertEquals(Map.of(ScrubJobs.VOLUME, "overwritten"), scrubs("overwritten").get(0).params());
        assertTrue(auto.busy("overwritten"));
        auto.snapshotTaken("overwritten");
        assertEquals(0, auto.tick(2000, all, 10), "a volume being scrubbed is not looked at");
        assertEquals(1, scrubs("overwritten").size());
        // after checkEvery every volume is looked at again, within the budget of the tick
        measured.put("fresh", new AutoScrub.Garbage(40 * mib, 18 * mib, 2, true));
        assertEquals(1, auto.tick(2000 + Duration.ofHours(1).toMillis(), all, 1));
        assertEquals(1, scrubs("fresh").size());
        assertEquals(40 * mib, auto.lastMeasured("fresh").orElseThrow().garbage().backendBytes());
        assertThrows(IllegalArgumentException.class, () -> new AutoScrub.Settings(1.0, Duration.ofHours(1)));
    }

    @Test
    void everyVolumeIsMeasuredSoonAfterStartAndForgottenWhenDeleted() {
        jobs = new JobService(JobsConfig.defaults(dir), List.of(new HeldScrubs()));
        AutoScrub auto = new AutoScrub(jobs, v -> Optional.ofNullable(measured.get(v)),
                new AutoScrub.Settings(0.2, Duration.ofHours(1)));
        measured.put("a", new AutoScrub.Garbage(8 << 20, 8 << 20, 0, true));
        measured.put("b", new AutoScrub.Garbage(4 << 20, 2 << 20, 0, true));
        measured.put("c", new AutoScrub.Garbage(64 << 20, 8 << 20, 3, true)); // would need a scrub
        assertEquals(3, auto.tick(0, List.of("a", "b", "c"), 10), "no snapshot was taken: measured all the same");
        assertTrue(scrubs("c").isEmpty(), "the measurement after start decides no scrub: that waits for checkEvery");
        assertEquals(0, auto.tick(500, List.of("a", "b", "c"), 10), "measured once");
        assertEquals(0.5, auto.lastMeasured("b").orElseThrow().garbage().ratio(), 1e-9);
        auto.tick(1000, List.of("a"), 10);
        assertTrue(auto.lastMeasured("b").isEmpty(), "b was deleted");
        assertEquals(1, auto.tick(Duration.ofHours(1).toMillis(), List.of("a", "c"), 10) - 1,
                "after checkEvery both are looked at");
        assertEquals(1, scrubs("c").size(), "and c, still full of garbage, gets its scrub");
        assertTrue(auto.lastMeasured("a").isPresent());
    }

    /** Closed (idle) volumes are not opened to be measured: not at the first look, not at checkEvery. */
    @Test
    void closedVolumesAreNotLookedAtUnlessASnapshotWasTaken() {
        jobs = new JobService(JobsConfig.defaults(dir), List.of(new HeldScrubs()));
        java.util.Set<String> open = new java.util.HashSet<>(List.of("busy"));
        java.util.List<String> asked = new java.util.ArrayList<>();
        AutoScrub.GarbageGauge gauge = new AutoScrub.GarbageGauge() {
            @Override
            public Optional<AutoScrub.Garbage> measure(String volume) {
                asked.add(volume);
                return Optional.of(new AutoScrub.Garbage(64 << 20, 8 << 20, 3, true));
            }

            @Override
            public boolean isOpen(String volume) {
                return open.contains(volume);
            }
        };
        AutoScrub auto = new AutoScrub(jobs, gauge, new AutoScrub.Settings(0.2, Duration.ofHours(1)));
        List<String> all = List.of("busy", "idle1", "idle2");
        auto.tick(0, all, 10);
        assertEquals(List.of("busy"), asked, "the first look measures open volumes only");
        auto.tick(Duration.ofHours(1).toMillis(), all, 10);
        assertEquals(List.of("busy", "busy"), asked, "checkEvery looks at open volumes only");
        auto.snapshotTaken("idle2");
        auto.tick(Duration.ofHours(1).toMillis() + 1000, all, 10);
        assertEquals(List.of("busy", "busy", "idle2"), asked, "a snapshot makes a closed volume a candidate");
    }
}
