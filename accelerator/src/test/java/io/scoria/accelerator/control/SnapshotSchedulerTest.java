package io.scoria.accelerator.control;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scheduler against a real engine on an in-memory backend, with a clock the test moves: due
 * snapshots, retention that deletes only the scheduler's own snapshots and never one a clone was
 * made from, retries after a failure, schedules that survive a restart, and a kill between any two
 * steps of a snapshot or a deletion (a thrown {@link Crash}) that leaves no half state.
 */
class SnapshotSchedulerTest {
    private static final long MINUTE = 60_000L;

    @TempDir
    Path dir;
    LocalVolumeService svc;
    final AtomicLong now = new AtomicLong(1_767_225_600_000L);

    /** Stands for a kill -9 at a step: nothing after it runs. */
    static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        Crash(String step) {
            super("killed at: " + step);
        }
    }

    @BeforeEach
    void setUp() {
        svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(dir.resolve("flash"))
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20)));
        svc.create("vm1", new VolumeSpec(16 << 20, 4096, 1 << 20));
        svc.open("vm1").write(0, ByteBuffer.wrap(new byte[8192]).put(0, (byte) 7), false);
    }

    @AfterEach
    void tearDown() {
        svc.close();
    }

    private SnapshotScheduler scheduler(String defaultSchedule, SnapshotScheduler.Steps steps) {
        return scheduler(defaultSchedule, steps, 1);
    }

    private SnapshotScheduler scheduler(String defaultSchedule, SnapshotScheduler.Steps steps, int catalogueTicks) {
        SnapshotScheduler.Settings settings = new SnapshotScheduler.Settings(
                defaultSchedule == null ? null : SnapshotSchedule.parse(defaultSchedule), Duration.ofSeconds(1), 8);
        return new SnapshotScheduler(svc, ScheduleBook.open(dir.resolve("schedules.json")), settings, null, now::get,
                steps, false, catalogueTicks);
    }

    /**
     * The volume list is read every few ticks, not at each (a list may LIST the backend, billed like a
     * PUT): a volume made after a read is scheduled once the list is read again, and a deleted one costs
     * no error.
     */
    @Test
    void readsTheVolumeListEveryFewTicksOnly() {
        SnapshotScheduler s = scheduler("every 10m, keep 2 last", SnapshotScheduler.Steps.NONE, 3);
        s.tick(); // t0, list read: vm1 first seen
        svc.create("vm2", new VolumeSpec(16 << 20, 4096, 1 << 20));
        now.addAndGet(10 * MINUTE);
        s.tick(); // t10: vm1 due; vm2 not in the list read at t0
        now.addAndGet(5 * MINUTE);
        s.tick(); // t15: still the list of t0
        s.tick(); // t15: three ticks after the first read, the list is read again: vm2 first seen
        now.addAndGet(5 * MINUTE);
        s.tick(); // t20: vm2 would be due had it been seen at t10
        assertEquals(2, auto("vm1").size());
        assertEquals(List.of(), auto("vm2"), "vm2 first seen when the list was read again, at t15");
        now.addAndGet(5 * MINUTE);
        s.tick(); // t25
        assertEquals(1, auto("vm2").size(), "vm2 scheduled from the list read at t15");
        svc.delete("vm2");
        now.addAndGet(10 * MINUTE);
        s.tick(); // vm2 is still in the list: its actions fail quietly and the list is read again
        s.tick();
        assertEquals(2, auto("vm1").size(), "vm1 keeps its schedule: " + snapshots("vm1"));
        assertEquals(List.of("vm1"), s.list().stream().map(SnapshotScheduler.View::volume).toList());
    }

    private List<String> snapshots(String volume) {
        return svc.open(volume).listSnapshots().stream().map(SnapshotInfo::name).toList();
    }

    private List<String> auto(String volume) {
        return snapshots(volume).stream().filter(n -> n.startsWith(SnapshotScheduler.PREFIX)).toList();
    }

    @Test
    void takesSnapshotsWhenDueAndDeletesOnlyItsOwnPastTheRetention() {
        SnapshotScheduler s = scheduler("every 10m, keep 2 last", SnapshotScheduler.Steps.NONE);
        s.tick(); // first sight: the first snapshot is due one interval later
        assertEquals(List.of(), snapshots("vm1"));
        now.addAndGet(5 * MINUTE);
        s.tick();
        assertEquals(List.of(), snapshots("vm1"));
        svc.open("vm1").snapshot("users-own");
        now.addAndGet(5 * MINUTE);
        s.tick();
        assertEquals(1, auto("vm1").size());
        for (int i = 0; i < 3; i++) {
            now.addAndGet(10 * MINUTE);
            s.tick();
        }
        List<String> kept = auto("vm1");
        assertEquals(2, kept.size(), snapshots("vm1").toString());
        assertTrue(snapshots("vm1").contains("users-own"), "a user's snapshot is never deleted");
        assertEquals(kept, s.view("vm1").snapshots());
        assertEquals("every 10m, keep 2 last", s.view("vm1").schedule());
        assertEquals("config", s.view("vm1").source());
    }

    @Test
    void neverDeletesASnapshotACloneWasMadeFrom() {
        SnapshotScheduler s = scheduler("every 10m, keep 1 last", SnapshotScheduler.Steps.NONE);
        s.tick();
        now.addAndGet(10 * MINUTE);
        s.tick();
        String first = auto("vm1").get(0);
        svc.clone("vm1", first, "child");
        s.set("child", "none");
        for (int i = 0; i < 2; i++) {
            now.addAndGet(10 * MINUTE);
            s.tick();
        }
        List<String> left = auto("vm1");
        assertEquals(2, left.size(), "the newest and the clone's parent: " + left);
        assertTrue(left.contains(first));
        assertEquals(List.of(), snapshots("child"), "schedule none: no snapshots");
    }

    @Test
    void aFailedSnapshotIsTriedAgainAtTheNextTick() {
        SnapshotScheduler s = scheduler("every 10m, keep 3 last", SnapshotScheduler.Steps.NONE);
        s.tick();
        now.addAndGet(10 * MINUTE);
        // a user's snapshot already has the name the scheduler picks now: its snapshot fails
        String clash = SnapshotScheduler.PREFIX + java.time.format.DateTimeFormatter
                .ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(java.time.ZoneOffset.UTC)
                .format(java.time.Instant.ofEpochMilli(now.get()));
        svc.open("vm1").snapshot(clash);
        s.tick();
        assertEquals(List.of(clash), snapshots("vm1"));
        assertEquals(List.of(), s.view("vm1").snapshots(), "the user's snapshot is not the scheduler's");
        now.addAndGet(1000);
        s.tick(); // tried again, under a new name
        List<String> mine = s.view("vm1").snapshots();
        assertEquals(1, mine.size());
        assertNotEquals(clash, mine.get(0));
        SnapshotScheduler one = scheduler("every 10m, keep 1 last", SnapshotScheduler.Steps.NONE);
        for (int i = 0; i < 3; i++) {
            now.addAndGet(10 * MINUTE);
            one.tick();
        }
        assertTrue(snapshots("vm1").contains(clash), "a user's snapshot is never deleted: " + snapshots("vm1"));
        assertEquals(2, auto("vm1").size(), snapshots("vm1").toString());
    }

    @Test
    void schedulesSurviveARestartAndBadInputIsRefused() {
        SnapshotScheduler s = scheduler(null, SnapshotScheduler.Steps.NONE);
        assertEquals("none", s.view("vm1").schedule());
        s.set("vm1", "every 30m, keep 4 last");
        s.setDefault("every 1d, keep 7 daily");
        assertThrows(IllegalArgumentException.class, () -> s.set("vm1", "every now and then"));
        assertThrows(VolumeNotFoundException.class, () -> s.set("nope", "every 1h, keep 1 last"));
        SnapshotScheduler again = scheduler(null, SnapshotScheduler.Steps.NONE);
        assertEquals("every 30m, keep 4 last", again.view("vm1").schedule());
        assertEquals("volume", again.view("vm1").source());
        assertEquals("every 1d, keep 7 daily", again.defaultView().schedule());
        again.set("vm1", null);
        assertEquals("every 1d, keep 7 daily", again.view("vm1").schedule());
        assertEquals("all", again.view("vm1").source());
    }

    @Test
    void aKillBetweenAnyTwoStepsLeavesNoHalfState() {
        String schedule = "every 10m, keep 1 last";
        scheduler(schedule, SnapshotScheduler.Steps.NONE).tick();
        // killed after the intent was recorded, before the snapshot: forgotten, made again
        now.addAndGet(10 * MINUTE);
        SnapshotScheduler killed = scheduler(schedule, crashAt("recorded"));
        assertThrows(Crash.class, killed::tick);
        assertEquals(List.of(), snapshots("vm1"));
        SnapshotScheduler s = scheduler(schedule, SnapshotScheduler.Steps.NONE);
        s.tick();
        assertEquals(1, auto("vm1").size());
        assertEquals(auto("vm1"), s.view("vm1").snapshots());

        // killed after the snapshot was made, before it was recorded taken: kept, known, not made twice
        now.addAndGet(10 * MINUTE);
        assertThrows(Crash.class, scheduler(schedule, crashAt("made"))::tick);
        assertEquals(2, auto("vm1").size());
        s = scheduler(schedule, SnapshotScheduler.Steps.NONE);
        s.tick(); // resolves the intent; retention then deletes the older one
        assertEquals(1, auto("vm1").size(), snapshots("vm1").toString());
        assertEquals(auto("vm1"), s.view("vm1").snapshots());

        // killed after a deletion was recorded, before it was made: deleted at the next start
        now.addAndGet(10 * MINUTE);
        assertThrows(Crash.class, scheduler(schedule, crashAt("deleting"))::tick);
        assertEquals(2, auto("vm1").size());
        s = scheduler(schedule, SnapshotScheduler.Steps.NONE);
        s.tick();
        assertEquals(1, auto("vm1").size());
        assertEquals(auto("vm1"), s.view("vm1").snapshots());

        // killed after the deletion, before it was forgotten: forgotten at the next start
        now.addAndGet(10 * MINUTE);
        assertThrows(Crash.class, scheduler(schedule, crashAt("deleted"))::tick);
        assertEquals(1, auto("vm1").size());
        s = scheduler(schedule, SnapshotScheduler.Steps.NONE);
        s.tick();
        assertEquals(auto("vm1"), s.view("vm1").snapshots());
        Volume v = svc.open("vm1");
        assertEquals(7, v.listSnapshots().isEmpty() ? -1 : readFirstByte(v));
    }

    private static int readFirstByte(Volume v) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        v.read(0, b);
        return b.get(0);
    }

    private static SnapshotScheduler.Steps crashAt(String prefix) {
        return step -> {
            if (step.startsWith(prefix + " ")) {
                throw new Crash(step);
            }
        };
    }
}
