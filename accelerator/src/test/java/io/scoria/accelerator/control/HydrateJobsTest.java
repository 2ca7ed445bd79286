package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.testing.GoldTemplate;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/** The {@code hydrate} job: paced, checkpointed, and continued from its checkpoint after a router restart. */
class HydrateJobsTest {
    private static final int SIZE = 8 << 20;
    @TempDir
    Path dir;

    private EngineConfig engine() {
        return EngineConfig.defaults(dir.resolve("node")).withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20)
                .withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
    }

    private JobsConfig jobs() {
        return new JobsConfig(dir.resolve("jobs"), 2, 4, 10, Duration.ZERO);
    }

    /** {@code inner}, noting the first cluster of every hydrate step in {@code from}. */
    private static VolumeService recording(VolumeService inner, List<Long> from) {
        return (VolumeService) Proxy.newProxyInstance(VolumeService.class.getClassLoader(), new Class<?>[]{VolumeService.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("hydrate")) {
                        from.add((Long) args[1]);
                    }
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static JobRecord await(JobService s, String id, JobState state) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JobRecord r = s.get(id);
        while (r.state() != state && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = s.get(id);
        }
        assertEquals(state, r.state(), r.toString());
        return r;
    }

    @Test
    void aRestartedRouterContinuesTheJobFromItsCheckpoint() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        GoldTemplate model;
        String id;
        long resumeAt;
        try (LocalVolumeService svc = new LocalVolumeService(store, engine())) {
            GoldTemplate gold = GoldTemplate.create(svc, "gold", SIZE, 5);
            svc.clone("gold", null, "desk");
            model = gold.cloneModel();
            Random r = new Random(6);
            for (int lba = 1; lba < model.clusters(); lba += 211) {
                model.write(svc.open("desk"), lba, r);
            }
            List<Long> steps = new CopyOnWriteArrayList<>();
            JobService first = new JobService(jobs(), List.of(new HydrateJobs(recording(svc, steps))));
            try {
                // 8 MiB at 2 MiB/s: about 4 s, with a checkpoint every second
                id = first.submit("hydrate", "desk", HydrateJobs.params("desk", "2MiB")).id();
                JobRecord running = first.get(id);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while ((running.checkpoint() == null || running.done() == 0) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    running = first.get(id);
                }
                assertNotNull(running.checkpoint(), "a checkpoint within 30 s: " + running);
                assertNotEquals(JobState.SUCCEEDED, running.state(), "the pace keeps the job running for seconds");
            } finally {
                first.close();
            }
            JobRecord stopped = first.get(id);
            resumeAt = Long.parseLong(stopped.checkpoint().substring(stopped.checkpoint().indexOf(':') + 1));
            assertTrue(resumeAt > 0 && resumeAt < model.clusters(), stopped.toString());
            assertEquals(VolumeInfo.THIN, svc.info("desk").orElseThrow().cloneState(), "stopped half way");
        }
        try (LocalVolumeService svc = new LocalVolumeService(store, engine())) {
            List<Long> steps = new CopyOnWriteArrayList<>();
            JobService second = new JobService(jobs(), List.of(new HydrateJobs(recording(svc, steps))));
            try {
                JobRecord done = await(second, id, JobState.SUCCEEDED);
                assertEquals(1, done.restarts());
                assertEquals(resumeAt, steps.get(0), "the first step after the restart starts at the checkpoint");
                assertEquals(VolumeInfo.INDEPENDENT, done.result().get("cloneState").asText());
                assertTrue(done.result().get("passes").asInt() >= 1);
            } finally {
                second.close();
            }
            assertEquals(VolumeInfo.INDEPENDENT, svc.info("desk").orElseThrow().cloneState());
            model.assertSame(svc.open("desk"));
        }
    }

    @Test
    void badSubmitsAreRefusedAndNothingIsKept() {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), engine());
             JobService jobs = new JobService(jobs(), List.of(new HydrateJobs(svc)))) {
            GoldTemplate.create(svc, "gold", 1 << 20, 1);
            svc.clone("gold", null, "desk");
            assertThrows(VolumeConflictException.class, () -> jobs.submit("hydrate", "gold", HydrateJobs.params("gold", null)));
            IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                    () -> jobs.submit("hydrate", "desk", HydrateJobs.params("desk", "fast")));
            assertTrue(rate.getMessage().contains("rate"), rate.getMessage());
            assertThrows(IllegalArgumentException.class, () -> jobs.submit("hydrate", "desk", Map.of("volume", "desk", "x", "1")));
            assertThrows(io.scoria.accelerator.VolumeNotFoundException.class,
                    () -> jobs.submit("hydrate", "nobody", HydrateJobs.params("nobody", null)));
            assertTrue(jobs.list().isEmpty());
        }
    }
}
