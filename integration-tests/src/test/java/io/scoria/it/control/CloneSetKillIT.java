package io.scoria.it.control;

import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.ScoriaCli;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A clone set across a kill -9 of the real {@code scoria serve}: {@code scoria clone create --count 50}
 * runs (each clone slowed by the router's test pause, {@code scoria.lifecycle.stepPauseMillis}), the
 * router is killed once at least 10 of the 50 clones exist (all still {@code creating}), and after the
 * restart none of the 50 exists, every volume left is in a valid settled state, the job says why it
 * stopped, and the same set can be created again, whole. The lifecycle journal is then empty.
 */
class CloneSetKillIT {
    private static final int COUNT = 50;
    private static final Set<String> SETTLED = Set.of("available", "attached");

    @TempDir
    Path dir;
    ManagedProcess serve;
    int apiPort;

    @AfterEach
    void stop() {
        if (serve != null) {
            serve.close();
        }
    }

    private void start(long pauseMillis) throws Exception {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        if (apiPort == 0) {
            apiPort = ManagedProcess.freePort();
        }
        int nbdPort = ManagedProcess.freePort();
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nnbd: {port: " + nbdPort + "}\n"
                + "iscsi: {enabled: false}\napi: {port: " + apiPort + "}\n"
                + "backend: {type: fs, fs: {root: " + dir.resolve("backend") + "}}\n"
                + "cache: {clusterCache: 16MiB, scoCache: 64MiB}\n");
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"),
                Map.of("SCORIA_JAVA_OPTS", "-Dscoria.lifecycle.stepPauseMillis=" + pauseMillis));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && Files.exists(dir.resolve("data").resolve("admin.token")));
    }

    private Command cli(String... args) {
        return ScoriaCli.run(apiPort, dir.resolve("data").resolve("admin.token"), args);
    }

    /** {@code scoria volume list} as name → lifecycle state. */
    private Map<String, String> lifecycles() {
        Map<String, String> m = new TreeMap<>();
        List<String> lines = cli("volume", "list").ok().output().lines().toList();
        assertTrue(lines.get(0).contains("LIFECYCLE"), lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            m.put(f[0], f[4]);
        }
        return m;
    }

    private static long clones(Map<String, String> states) {
        return states.keySet().stream().filter(n -> n.matches("vm\\d+")).count();
    }

    @Test
    void aCloneSetKilledInTheMiddleLeavesNoneOfItsClones() throws Exception {
        start(100);
        cli("volume", "create", "golden", "--size", "64MiB").ok();
        cli("snapshot", "create", "golden", "base").ok();

        CompletableFuture<Command> running = CompletableFuture.supplyAsync(
                () -> cli("clone", "create", "golden", "--count", Integer.toString(COUNT), "--prefix", "vm",
                        "--snapshot", "base", "--wait"));
        Map<String, String> seen = Map.of();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (clones(seen) < 10 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = lifecycles();
        }
        assertTrue(clones(seen) >= 10 && clones(seen) < COUNT, "the kill comes in the middle of the set: " + seen);
        seen.forEach((n, s) -> {
            if (n.startsWith("vm")) {
                assertEquals("creating", s, "a clone of an unfinished set is creating: " + n);
            }
        });
        serve.kill9();
        Command interrupted = running.get(60, TimeUnit.SECONDS);
        assertNotEquals(0, interrupted.exitCode(), "the CLI reports that its router went away: " + interrupted.output());

        start(0);
        Map<String, String> after = lifecycles();
        assertEquals(0, clones(after), "all or none: the journal rolled the set back: " + after);
        after.forEach((n, s) -> assertTrue(SETTLED.contains(s), n + " is " + s + " after the restart"));
        assertEquals("available", after.get("golden"));
        String job = cli("job", "list").ok().output();
        assertTrue(job.contains("failed"), job);
        assertTrue(serve.logTail(400).contains("CLONE_SET") && serve.logTail(400).contains("rolled back"),
                "the router logs the rollback:\n" + serve.logTail(60));

        String made = cli("clone", "create", "golden", "--count", Integer.toString(COUNT), "--prefix", "vm",
                "--snapshot", "base", "--wait").ok().output();
        assertEquals(COUNT, made.lines().filter(l -> l.startsWith("created clone vm")).count(), made);
        Map<String, String> whole = lifecycles();
        assertEquals(COUNT, clones(whole));
        whole.forEach((n, s) -> assertEquals("available", s, n));
        assertEquals(8, Files.size(dir.resolve("data").resolve("lifecycle").resolve("journal")),
                "no operation is left open");
    }
}
