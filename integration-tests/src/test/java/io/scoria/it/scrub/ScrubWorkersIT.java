package io.scoria.it.scrub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.RouterProcess;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scrubs on workers: a real {@code scoria serve} ({@link RouterProcess}: 1 MiB SCOs) with
 * {@code scrub.auto.runOn: workers} on an fs backend and two {@code scoria-scrub --worker}
 * processes (their own JVMs, their own config file with only the backend section) sharing it. Two volumes each get a 16 MiB region overwritten 8
 * times; with no command typed the router snapshots them, decides they need a scrub and publishes
 * work items instead of running scrubs; the workers take the items by the volumes' leases, scrub
 * and write the results; the router applies them and deletes the obsolete objects. Asserted: the
 * router ran no scrub itself, both volumes were scrubbed by a worker, each volume's backend bytes
 * fall to at most 1.3x its live data, the data reads back byte-exact over NBD, and a worker stops
 * cleanly on SIGTERM.
 */
class ScrubWorkersIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    RouterProcess router;
    final List<ManagedProcess> workers = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        String backend = "{type: fs, fs: {root: '" + dir.resolve("backend") + "'}}";
        router = RouterProcess.start(dir, "router", backend, "scrub: {poll: 1s, grace: 1s, auto: {schedule: 'every 4s,"
                + " keep 1 last', tick: 500ms, runOn: workers}}\n", Map.of());
        // the workers' config: only the backend section, the router's
        Path workerCfg = Files.writeString(dir.resolve("worker.yaml"), "backend: " + backend + "\n");
        Path jar = repo.resolve("scrubber").resolve("target").resolve("scoria-scrub.jar");
        assertTrue(Files.isRegularFile(jar), "scoria-scrub.jar is built by the scrubber module: " + jar);
        for (int i = 1; i <= 2; i++) {
            ManagedProcess w = ManagedProcess.start("worker" + i, List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar", jar.toString(),
                    "--worker", "--config", workerCfg.toString(), "--poll-interval", "500ms", "--lease-ttl-seconds", "10",
                    "--scratch", dir.resolve("scratch" + i).toString()), dir, dir.resolve("worker" + i + ".log"));
            workers.add(w);
            w.awaitReady(Duration.ofSeconds(60), () -> log(w).contains("scoria-scrub worker: "));
        }
    }

    @AfterEach
    void stop(org.junit.jupiter.api.TestInfo test) throws IOException {
        workers.forEach(ManagedProcess::close);
        if (router != null) {
            router.close();
        }
        Path kept = Path.of("target", "ScrubWorkersIT-" + test.getTestMethod().orElseThrow().getName());
        Files.createDirectories(kept);
        for (String log : List.of("router-serve.log", "worker1.log", "worker2.log")) {
            if (Files.exists(dir.resolve(log))) {
                Files.copy(dir.resolve(log), kept.resolve(log), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static String log(ManagedProcess p) {
        try {
            return Files.readString(p.log());
        } catch (IOException e) {
            return "";
        }
    }

    private String namespace(String volume) throws IOException {
        JsonNode v = new ObjectMapper().readTree(router.ok("volume", "show", volume));
        return v.get("volume").get("namespace").asText();
    }

    /** Bytes of the objects in the namespace's directory (a file renamed or deleted meanwhile counts 0). */
    private long bytes(String ns) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("backend").resolve(ns))) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void twoWorkersScrubTwoVolumesThatTheRouterPublishedAndTheRouterAppliesTheResults() throws Exception {
        List<String> volumes = List.of("work-a", "work-b");
        List<String> namespaces = new ArrayList<>();
        List<byte[]> last = new ArrayList<>();
        for (String v : volumes) {
            router.ok("volume", "create", v, "--size", "64MiB");
            namespaces.add(namespace(v));
        }
        for (int pass = 1; pass <= 8; pass++) {
            for (int i = 0; i < volumes.size(); i++) {
                byte[] data = new byte[(int) (16 * MIB)];
                new Random(pass * 100L + i).nextBytes(data);
                Path file = Files.write(dir.resolve("pass" + pass + "-" + i), data);
                Command.run(120, "qemu-io", "-f", "raw", "-c", "write -s " + file + " 0 16M",
                        router.nbd(volumes.get(i))).ok();
                if (pass == 8) {
                    last.add(data);
                }
            }
        }
        long writtenAt = System.nanoTime();
        long[] peak = new long[volumes.size()];
        long[] now = new long[volumes.size()];
        long target = (long) (1.3 * 16 * MIB);
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (int i = 0; i < volumes.size(); i++) {
                now[i] = bytes(namespaces.get(i));
                peak[i] = Math.max(peak[i], now[i]);
                all &= now[i] <= target;
            }
            if (all) {
                break;
            }
            Thread.sleep(500);
        }
        double seconds = (System.nanoTime() - writtenAt) / 1e9;
        String logs = "\n--- worker1:\n" + workers.get(0).logTail(30) + "\n--- worker2:\n" + workers.get(1).logTail(30)
                + "\n--- router:\n" + router.process().logTail(30);
        for (int i = 0; i < volumes.size(); i++) {
            String ns = namespaces.get(i);
            List<String> by = new ArrayList<>();
            for (int w = 0; w < workers.size(); w++) {
                if (log(workers.get(w)).contains("scoria-scrub worker: " + ns + " (volume " + volumes.get(i)
                        + "): done, result scrub/result/")) {
                    by.add("worker" + (w + 1));
                }
            }
            System.out.printf("scrub workers: %s (16 MiB overwritten 8x): peak %.1f MiB on the backend, %.1f MiB (%.2fx"
                            + " live) %.0f s after the last write, scrubbed by %s%n", volumes.get(i), peak[i] / 1048576.0,
                    now[i] / 1048576.0, now[i] / (16.0 * MIB), seconds, by);
            // scheduled snapshots and scrubs run while the passes are written, so not all 128 MiB need be there at once
            assertTrue(peak[i] >= 2 * 16 * MIB, volumes.get(i) + ": garbage reached the backend: peak " + peak[i]);
            assertFalse(by.isEmpty(), volumes.get(i) + " was scrubbed by a worker" + logs);
            assertTrue(now[i] <= target, volumes.get(i) + ": still " + now[i] + " bytes on the backend for 16 MiB live" + logs);
        }
        assertTrue(log(router.process()).contains("for scoria-scrub workers"), "the router published work items" + logs);
        String jobs = router.ok("job", "list");
        assertFalse(jobs.contains("scrub"), "the router ran no scrub itself: " + jobs);
        for (int i = 0; i < volumes.size(); i++) {
            Path out = dir.resolve(volumes.get(i) + ".read");
            Command.run(120, "nbdcopy", router.nbd(volumes.get(i)), out.toString()).ok();
            byte[] read = Files.readAllBytes(out);
            assertArrayEquals(last.get(i), Arrays.copyOfRange(read, 0, (int) (16 * MIB)),
                    volumes.get(i) + ": the data read back differs");
        }

        // SIGTERM: the worker stops its loop and exits
        ManagedProcess w1 = workers.get(0);
        w1.process().destroy();
        assertTrue(w1.process().waitFor(30, TimeUnit.SECONDS), "worker1 exits on SIGTERM");
        assertEquals(143, w1.process().exitValue(), "terminated by SIGTERM");
        assertTrue(log(w1).contains("scoria-scrub worker: stopped on request"), w1.logTail(10));
    }
}
