package io.scoria.it.control;

import io.scoria.it.harness.RouterProcess;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scoria pool create --size 20} across a kill -9 of the real {@code scoria serve}: each desktop slowed by
 * the router's test pause ({@code scoria.lifecycle.stepPauseMillis}, taken while the desktop is {@code creating}),
 * the router is killed once at least 5 of the 20 desktops exist; meanwhile the desktop being made is
 * {@code creating} and {@code nbdinfo --list} does not name it. After the restart (without pauses) the router
 * has completed the pool before serving: exactly desk-1..desk-20, all {@code available}, on the template's
 * snapshot with its bytes, {@code pool status} with none missing, and no operation left in the journal.
 */
class PoolKillIT {
    private static final int SIZE = 20;

    @TempDir
    Path dir;
    RouterProcess router;

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    /** The desktops in {@code scoria volume list}, as name → lifecycle state. */
    private Map<String, String> desktops() {
        Map<String, String> m = new TreeMap<>();
        List<String> lines = router.ok("volume", "list").lines().toList();
        assertTrue(lines.get(0).contains("LIFECYCLE"), lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f[0].startsWith("desk-")) {
                m.put(f[0], f[4]);
            }
        }
        return m;
    }

    private String qemuIo(String volume, String command) throws Exception {
        Command c = Command.run(120, "qemu-io", "-f", "raw", router.nbd(volume), "-c", command).ok();
        assertFalse(c.output().contains("Pattern verification failed") || c.output().contains("failed:"),
                volume + ": " + c.output());
        return c.output();
    }

    @Test
    void aPoolCreateKilledInTheMiddleIsCompletedAtRestart() throws Exception {
        router = RouterProcess.startWithLifecyclePause(dir, "router", 1500);
        router.ok("volume", "create", "gold", "--size", "4MiB");
        qemuIo("gold", "write -P 0x5a 0 4M");
        router.ok("snapshot", "create", "gold", "base");
        router.ok("template", "create", "gold");

        CompletableFuture<RouterProcess.Result> running = CompletableFuture.supplyAsync(() -> router.scoria("pool",
                "create", "desks", "--template", "gold", "--snapshot", "base", "--size", Integer.toString(SIZE),
                "--prefix", "desk-"));
        boolean hiddenSeen = false;
        Map<String, String> seen = Map.of();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while ((seen.size() < 5 || !hiddenSeen) && System.nanoTime() < deadline) {
            assertFalse(running.isDone(), "the pool create ended before the kill: " + running.getNow(null) + "; seen "
                    + seen + (hiddenSeen ? "" : ", no desktop seen creating"));
            Map<String, String> before = desktops();
            String listed = Command.run(30, "nbdinfo", "--list", "--json", router.nbd("")).ok().output();
            Map<String, String> after = desktops();
            assertTrue(listed.contains("\"gold\""), "NBD_OPT_LIST names the settled volumes: " + listed);
            for (Map.Entry<String, String> e : before.entrySet()) {
                if ("creating".equals(e.getValue()) && "creating".equals(after.get(e.getKey()))) {
                    assertFalse(listed.contains("\"" + e.getKey() + "\""), "NBD_OPT_LIST names the half-made "
                            + e.getKey() + ": " + listed);
                    hiddenSeen = true;
                }
            }
            assertTrue(after.values().stream().filter("creating"::equals).count() <= 1,
                    "desktops are made one by one: " + after);
            seen = after;
        }
        assertTrue(hiddenSeen, "a desktop was seen creating and not listed: " + seen);
        assertTrue(seen.size() >= 5 && seen.size() < SIZE, "the kill comes in the middle of the pool: " + seen);
        router.process().kill9();
        assertNotEquals(0, running.get(60, TimeUnit.SECONDS).code(), "the CLI saw its router go away");

        router.close();
        router = RouterProcess.startWithLifecyclePause(dir, "router", 0);
        Map<String, String> whole = desktops();
        assertEquals(SIZE, whole.size(), "exactly the pool's desktops: " + whole);
        for (int i = 1; i <= SIZE; i++) {
            assertEquals("available", whole.get("desk-" + i), "desk-" + i + ": " + whole);
        }
        String status = router.ok("pool", "status", "desks");
        assertTrue(status.contains("idle " + SIZE + ", in use 0, missing 0, stale 0"), status);
        assertEquals(SIZE, status.lines().filter(l -> l.startsWith("desk-") && l.contains("gold@base")).count(), status);
        qemuIo("desk-1", "read -P 0x5a 0 4M");
        qemuIo("desk-" + SIZE, "read -P 0x5a 0 4M");
        assertTrue(router.process().logTail(400).contains("completed: " + SIZE + " of " + SIZE + " desktops exist"),
                router.process().logTail(60));
        assertEquals(8, Files.size(router.dataDir().resolve("lifecycle").resolve("journal")),
                "no operation is left open");
    }
}
