package io.scoria.accelerator.control;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The job model on a real directory: submit, progress, cancel, limits, bad ids, and what a
 * restart does with jobs that were running (resumed from their checkpoint, or failed with the reason).
 */
class JobServiceTest {
    @TempDir
    Path dir;
    private final List<JobService> open = new ArrayList<>();

    /** Counts to {@code n}, one step per permit, checkpointing each step; resumes after its checkpoint. */
    static final class Steps implements JobType {
        final String kind;
        final boolean resumable;
        final Semaphore permits = new Semaphore(0);
        final Map<String, List<Integer>> stepsRun = new ConcurrentHashMap<>();

        Steps(String kind, boolean resumable) {
            this.kind = kind;
            this.resumable = resumable;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public boolean resumable() {
            return resumable;
        }

        @Override
        public JobTask task(Map<String, String> params, String checkpoint) {
            int n = Integer.parseInt(params.getOrDefault("n", "x"));
            if (params.containsKey("fail")) {
                return c -> {
                    throw new IllegalStateException("step 1 broke: " + params.get("fail"));
                };
            }
            int from = checkpoint == null ? 0 : Integer.parseInt(checkpoint);
            return c -> {
                List<Integer> mine = stepsRun.computeIfAbsent(c.job().id(), k -> new ArrayList<>());
                for (int i = from + 1; i <= n; i++) {
                    while (!permits.tryAcquire(20, TimeUnit.MILLISECONDS)) {
                        c.checkCancelled();
                    }
                    mine.add(i);
                    c.checkpoint(Integer.toString(i), i, n, i * 100L);
                }
                return Map.of("steps", n);
            };
        }
    }

    private JobService open(JobsConfig config, JobType... types) {
        JobService s = new JobService(config, List.of(types));
        open.add(s);
        return s;
    }

    private JobsConfig config() {
        return new JobsConfig(dir.resolve("jobs"), 2, 4, 10, Duration.ZERO);
    }

    @AfterEach
    void closeAll() {
        open.forEach(JobService::close);
    }

    private static JobRecord await(JobService s, String id, JobState state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        JobRecord r = s.get(id);
        while (r.state() != state && System.nanoTime() < deadline) {
            Thread.sleep(10);
            r = s.get(id);
        }
        assertEquals(state, r.state(), r.toString());
        return r;
    }

    private static void awaitDone(JobService s, String id, long done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (s.get(id).done() < done && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(done, s.get(id).done());
    }

    /** Stops {@code s} and puts back the files of {@code ids} as they were while they ran, as after kill -9. */
    private void crash(JobService s, String... ids) throws Exception {
        Path jobs = dir.resolve("jobs");
        Map<String, byte[]> running = new java.util.HashMap<>();
        for (String id : ids) {
            running.put(id, Files.readAllBytes(jobs.resolve(id + ".json")));
        }
        s.close();
        for (Map.Entry<String, byte[]> e : running.entrySet()) {
            Files.write(jobs.resolve(e.getKey() + ".json"), e.getValue());
        }
    }

    @Test
    void aJobRunsReportsProgressAndKeepsItsResult() throws Exception {
        Steps steps = new Steps("steps", true);
        JobService s = open(config(), steps);
        JobRecord r = s.submit("steps", "t", Map.of("n", "4"));
        assertTrue(r.state() == JobState.QUEUED || r.state() == JobState.RUNNING);
        steps.permits.release(2);
        awaitDone(s, r.id(), 2);
        JobProgress p = s.get(r.id()).progress(System.currentTimeMillis());
        assertEquals(2, p.done());
        assertEquals(4, p.total());
        assertEquals(200, p.bytes());
        assertEquals(50.0, p.percent());
        assertTrue(p.itemsPerSecond() > 0 && p.etaSeconds() >= 0, p.toString());
        steps.permits.release(2);
        JobRecord done = await(s, r.id(), JobState.SUCCEEDED);
        assertEquals(4, done.result().get("steps").asInt());
        assertEquals(0, done.progress(System.currentTimeMillis()).etaSeconds());
        assertTrue(Files.readString(dir.resolve("jobs").resolve(r.id() + ".json")).contains("SUCCEEDED"));
    }

    @Test
    void aFailingJobKeepsItsReasonAsAProblem() throws Exception {
        JobService s = open(config(), new Steps("steps", true));
        JobRecord r = s.submit("steps", "t", Map.of("n", "1", "fail", "disk on fire"));
        JobRecord failed = await(s, r.id(), JobState.FAILED);
        assertEquals("job-failed", failed.failure().slug());
        assertTrue(failed.failure().detail().contains("disk on fire"), failed.failure().detail());
    }

    @Test
    void badParametersAreRefusedAndNothingIsKept() {
        JobService s = open(config(), new Steps("steps", true));
        assertThrows(NumberFormatException.class, () -> s.submit("steps", "t", Map.of("n", "many")));
        assertThrows(JobException.NotFound.class, () -> s.submit("nosuchkind", "t", Map.of()));
        assertTrue(s.list().isEmpty());
    }

    @Test
    void cancelStopsARunningJobAndAQueuedOneAtOnce() throws Exception {
        Steps steps = new Steps("steps", true);
        JobService s = open(config().withLimits(1, 4, 10), steps);
        JobRecord running = s.submit("steps", "a", Map.of("n", "100"));
        JobRecord queued = s.submit("steps", "b", Map.of("n", "100"));
        await(s, running.id(), JobState.RUNNING);
        assertEquals(JobState.QUEUED, s.get(queued.id()).state());
        assertEquals(JobState.CANCELLED, s.cancel(queued.id()).state());
        steps.permits.release(3);
        awaitDone(s, running.id(), 3);
        s.cancel(running.id());
        JobRecord cancelled = await(s, running.id(), JobState.CANCELLED);
        assertEquals(3, cancelled.done());
        assertThrows(JobException.WrongState.class, () -> s.cancel(running.id()));
        assertNull(steps.stepsRun.get(queued.id()), "the cancelled queued job never ran");
    }

    @Test
    void queuesAndKeptJobsAreBounded() throws Exception {
        Steps steps = new Steps("steps", true);
        JobService s = open(new JobsConfig(dir.resolve("jobs"), 1, 1, 2, Duration.ZERO), steps);
        JobRecord a = s.submit("steps", "a", Map.of("n", "1"));
        await(s, a.id(), JobState.RUNNING);
        JobRecord b = s.submit("steps", "b", Map.of("n", "1"));
        JobException.QueueFull full = assertThrows(JobException.QueueFull.class, () -> s.submit("steps", "c", Map.of("n", "1")));
        assertTrue(full.getMessage().contains("1 jobs run and 1 wait"), full.getMessage());
        steps.permits.release(2);
        await(s, b.id(), JobState.SUCCEEDED);
        JobRecord c = s.submit("steps", "c", Map.of("n", "1"));
        steps.permits.release(1);
        await(s, c.id(), JobState.SUCCEEDED);
        List<JobRecord> kept = s.list();
        assertEquals(List.of(b.id(), c.id()), kept.stream().map(JobRecord::id).toList(), "the oldest finished job went");
        assertThrows(JobException.NotFound.class, () -> s.get(a.id()));
        try (var files = Files.list(dir.resolve("jobs"))) {
            assertEquals(2, files.count());
        }
    }

    @Test
    void badIdsAreNotFound() {
        JobService s = open(config(), new Steps("steps", true));
        for (String id : new String[]{"../../etc/passwd", "j-0123", "", "j-0123456789abcdef", "J-0123456789ABCDEF"}) {
            assertThrows(JobException.NotFound.class, () -> s.get(id), id);
            assertThrows(JobException.NotFound.class, () -> s.cancel(id), id);
        }
    }

    /**
     * A crash (the files as they were while the job ran) then a start: a resumable job continues
     * after its last checkpoint, a not resumable one fails with the reason.
     */
    @Test
    void aRestartResumesResumableJobsAndFailsTheOthersWithTheReason() throws Exception {
        Steps resumable = new Steps("steps", true);
        Steps once = new Steps("once", false);
        JobService first = open(config(), resumable, once);
        JobRecord r = first.submit("steps", "vol", Map.of("n", "5"));
        JobRecord o = first.submit("once", "vol", Map.of("n", "5"));
        resumable.permits.release(2);
        once.permits.release(1);
        awaitDone(first, r.id(), 2);
        awaitDone(first, o.id(), 1);
        crash(first, r.id(), o.id());

        Steps resumable2 = new Steps("steps", true);
        Steps once2 = new Steps("once", false);
        JobService second = open(config(), resumable2, once2);
        JobRecord failed = await(second, o.id(), JobState.FAILED);
        assertEquals("router-restarted", failed.failure().slug());
        assertTrue(failed.failure().detail().contains("do not resume") && failed.failure().detail().contains("1 of 5"),
                failed.failure().detail());
        resumable2.permits.release(3);
        JobRecord resumed = await(second, r.id(), JobState.SUCCEEDED);
        assertEquals(1, resumed.restarts());
        assertEquals(List.of(3, 4, 5), resumable2.stepsRun.get(r.id()), "continued after checkpoint 2");
        assertEquals(5, resumed.done());
    }

    @Test
    void aCleanStopLeavesResumableJobsToContinueAndFailsTheOthers() throws Exception {
        Steps resumable = new Steps("steps", true);
        Steps once = new Steps("once", false);
        JobService first = open(config(), resumable, once);
        JobRecord r = first.submit("steps", "vol", Map.of("n", "3"));
        JobRecord o = first.submit("once", "vol", Map.of("n", "3"));
        resumable.permits.release(1);
        awaitDone(first, r.id(), 1);
        await(first, o.id(), JobState.RUNNING);
        first.close();
        Steps resumable2 = new Steps("steps", true);
        JobService second = open(config(), resumable2, new Steps("once", false));
        assertEquals("router-stopped", second.get(o.id()).failure().slug());
        resumable2.permits.release(2);
        await(second, r.id(), JobState.SUCCEEDED);
        assertEquals(List.of(2, 3), resumable2.stepsRun.get(r.id()));
    }

    @Test
    void anUnreadableJobFileIsMovedAsideNotLost() throws Exception {
        Path jobs = Files.createDirectories(dir.resolve("jobs"));
        Files.writeString(jobs.resolve("j-0123456789abcdef.json"), "{\"format\": 99}");
        JobService s = open(config(), new Steps("steps", true));
        assertTrue(s.list().isEmpty());
        assertTrue(Files.exists(jobs.resolve("j-0123456789abcdef.json.unreadable")));
    }

    @Test
    void aJobOfAKindThisRouterNoLongerRunsFailsWithTheReason() throws Exception {
        Steps steps = new Steps("repair", true);
        JobService first = open(config(), steps);
        JobRecord r = first.submit("repair", "distributor", Map.of("n", "3"));
        await(first, r.id(), JobState.RUNNING);
        crash(first, r.id());
        JobService second = open(config());
        JobRecord failed = second.get(r.id());
        assertEquals(JobState.FAILED, failed.state());
        assertTrue(failed.failure().detail().contains("no repair jobs"), failed.failure().detail());
    }
}
