package io.scoria.it.scrub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Space that comes back by itself, against the real {@code scoria serve} on an fs backend with a
 * short default snapshot schedule ({@code every 4s, keep 1 last}) in its config and no command typed
 * after the writes: the router snapshots, decides the volume needs a scrub, runs {@code scoria-scrub}
 * as a job, applies the result and deletes the obsolete objects. Measured: a 16 MiB region
 * overwritten 8 times returns to at most 1.3x its live data on the backend, and discarding half of
 * a 32 MiB volume (NBD TRIM) brings it to at most 0.65x. The data read back is the last written.
 */
class SpaceComesBackIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    ManagedProcess serve;
    int apiPort;
    int nbdPort;

    @BeforeEach
    void start() throws IOException {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        apiPort = ManagedProcess.freePort();
        nbdPort = ManagedProcess.freePort();
        int iscsiPort = ManagedProcess.freePort();
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nnbd: {port: " + nbdPort + "}\niscsi: {port: "
                + iscsiPort + "}\napi: {port: " + apiPort + "}\ncache: {clusterCache: 64MiB, scoCache: 512MiB}\n"
                + "scrub: {poll: 1s, grace: 1s, auto: {schedule: 'every 4s, keep 1 last', tick: 500ms}}\n");
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort) && Files.exists(dir.resolve("data").resolve("admin.token")));
    }

    @AfterEach
    void stop(org.junit.jupiter.api.TestInfo test) throws IOException {
        if (serve != null) {
            serve.close();
        }
        // the router's log (scheduled snapshots, scrub decisions, the scrub's own lines) for the reader of the run
        Path kept = Path.of("target", "SpaceComesBackIT-" + test.getTestMethod().orElseThrow().getName() + ".log");
        Files.createDirectories(kept.getParent());
        Files.copy(dir.resolve("serve.log"), kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private String scoria(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + apiPort, "--token-file",
                dir.resolve("data").resolve("admin.token").toString()));
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return out.toString();
    }

    private Path namespaceDir(String volume) throws IOException {
        JsonNode v = new ObjectMapper().readTree(scoria("volume", "show", volume));
        return dir.resolve("data").resolve("backend").resolve(v.get("volume").get("namespace").asText());
    }

    /** Bytes of the objects in the namespace's directory (a file renamed or deleted meanwhile counts 0). */
    private static long bytes(Path ns) throws IOException {
        try (Stream<Path> files = Files.list(ns)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private Path randomFile(String name, long size, long seed) throws IOException {
        byte[] b = new byte[(int) size];
        new Random(seed).nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }

    private String nbd(String volume) {
        return "nbd://127.0.0.1:" + nbdPort + "/" + volume;
    }

    /** Polls the namespace's bytes until they are at most {@code target}; returns {peak, final, seconds}. */
    private long[] awaitBytesAtMost(Path ns, long target, long peakSoFar, Duration timeout) throws Exception {
        long start = System.nanoTime();
        long peak = peakSoFar;
        long now = bytes(ns);
        while (now > target && System.nanoTime() - start < timeout.toNanos()) {
            Thread.sleep(500);
            now = bytes(ns);
            peak = Math.max(peak, now);
        }
        return new long[] {peak, now, (System.nanoTime() - start) / 1_000_000_000L};
    }

    private void assertReadsBack(String volume, byte[] expected, long offset) throws Exception {
        Path out = dir.resolve(volume + ".read");
        Command.run(120, "nbdcopy", nbd(volume), out.toString()).ok();
        byte[] all = Files.readAllBytes(out);
        assertArrayEquals(expected, Arrays.copyOfRange(all, (int) offset, (int) offset + expected.length),
                volume + ": the data read back differs");
    }

    @Test
    void aRegionOverwrittenEightTimesReturnsToAtMost1point3xItsLiveData() throws Exception {
        scoria("volume", "create", "overwritten", "--size", "64MiB");
        assertTrue(scoria("volume", "schedule", "overwritten").contains("every 4s, keep 1 last (the config's default)"));
        Path ns = namespaceDir("overwritten");
        Path last = null;
        for (int pass = 1; pass <= 8; pass++) {
            last = randomFile("pass" + pass, 16 * MIB, pass);
            Command.run(120, "qemu-io", "-f", "raw", "-c", "write -s " + last + " 0 16M", nbd("overwritten")).ok();
        }
        long writtenAt = System.nanoTime();
        // the peak is 128 MiB of SCOs once uploaded; then the schedule, the scrub job and the clean-up bring it down
        long[] r = awaitBytesAtMost(ns, (long) (1.3 * 16 * MIB), bytes(ns), Duration.ofSeconds(180));
        double seconds = (System.nanoTime() - writtenAt) / 1e9;
        System.out.printf("space: 16 MiB overwritten 8x: peak %.1f MiB on the backend, %.1f MiB (%.2fx live) %.0f s"
                + " after the last write, no command typed%n", r[0] / 1048576.0, r[1] / 1048576.0, r[1] / (16.0 * MIB), seconds);
        assertTrue(r[0] >= 100 * MIB, "the 8 passes reached the backend first: peak " + r[0]);
        assertTrue(r[1] <= 1.3 * 16 * MIB, "still " + r[1] + " bytes on the backend for 16 MiB live: " + jobs());
        assertTrue(jobs().contains("scrub"), jobs());
        assertReadsBack("overwritten", Files.readAllBytes(last), 0);
        // the measurement behind the decision is what `volume space` (and the dashboard) shows
        String space = scoria("volume", "space", "overwritten");
        assertTrue(space.startsWith("overwritten: " + 16 * MIB + " bytes of live data, "), space);
    }

    @Test
    void discardingHalfAVolumeBringsItsBackendBytesToAtMost0point65x() throws Exception {
        scoria("volume", "create", "discarded", "--size", "32MiB");
        Path ns = namespaceDir("discarded");
        Path data = randomFile("full", 32 * MIB, 42);
        Command.run(120, "qemu-io", "-f", "raw", "-c", "write -s " + data + " 0 32M", nbd("discarded")).ok();
        // wait until the data is on the backend (the first scheduled snapshot uploads it)
        long[] up = {0};
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ((up[0] = bytes(ns)) < 32 * MIB && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertTrue(up[0] >= 32 * MIB, "uploaded: " + up[0]);
        Command.run(60, "qemu-io", "-f", "raw", "-c", "discard 0 16M", nbd("discarded")).ok();
        long discardedAt = System.nanoTime();
        long[] r = awaitBytesAtMost(ns, (long) (0.65 * 32 * MIB), up[0], Duration.ofSeconds(180));
        double seconds = (System.nanoTime() - discardedAt) / 1e9;
        System.out.printf("space: 32 MiB volume, 16 MiB discarded: %.1f MiB on the backend before, %.1f MiB (%.2fx)"
                + " %.0f s after the discard, no command typed%n", r[0] / 1048576.0, r[1] / 1048576.0,
                r[1] / (32.0 * MIB), seconds);
        assertTrue(r[1] <= 0.65 * 32 * MIB, "still " + r[1] + " bytes after discarding half: " + jobs());
        byte[] expected = Files.readAllBytes(data);
        Arrays.fill(expected, 0, (int) (16 * MIB), (byte) 0);
        assertReadsBack("discarded", expected, 0);
    }

    private String jobs() {
        return scoria("job", "list");
    }
}
