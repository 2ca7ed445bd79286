package io.scoria.it.control;

import io.scoria.it.harness.RouterProcess;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deletes, attaches and detaches across a kill -9 of the real {@code scoria serve}. The router pauses on
 * each side of each operation's commit point ({@code scoria.lifecycle.stepPauseMillis}); the test kills it
 * once the operation's intent is in the journal (before the commit point) or once the commit point is on
 * disk (after it), and also, without pauses, as soon as a delete's intent is written. After each restart
 * the journal has completed or rolled back the operation: a delete rolled back leaves the volume whole
 * (available, its data readable over NBD), a delete completed leaves nothing (gone from the list,
 * {@code wipe-check} clean); an attachment is either there with the volume {@code attached} or absent with
 * it {@code available}, never half; and no operation is left open in the journal.
 */
class LifecycleKillIT {
    private static final long PAUSE_MILLIS = 1500;
    private static final Set<String> SETTLED = Set.of("available", "attached");

    @TempDir
    Path dir;
    RouterProcess router;

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    private void start(long pauseMillis) throws Exception {
        router = RouterProcess.startWithLifecyclePause(dir, "router", pauseMillis);
    }

    private Path lifecycleFile(String name) {
        return dir.resolve("router").resolve("lifecycle").resolve(name);
    }

    private long journalBytes() throws Exception {
        Path journal = lifecycleFile("journal");
        return Files.exists(journal) ? Files.size(journal) : 0;
    }

    /** The content of a control file without white space, or "" if it does not exist. */
    private static String compact(Path file) throws Exception {
        return Files.exists(file) ? Files.readString(file).replaceAll("\\s", "") : "";
    }

    /**
     * Runs {@code scoria ARGS} in the background, kills the router with SIGKILL as soon as {@code when} holds
     * (checked every 5 ms; the command must still run then), and starts it again with {@code pauseAfter}.
     */
    private void killDuring(BooleanSupplier when, long pauseAfter, String... args) throws Exception {
        CompletableFuture<RouterProcess.Result> running = CompletableFuture.supplyAsync(() -> router.scoria(args));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!when.getAsBoolean()) {
            assertFalse(running.isDone(), String.join(" ", args) + " ended before the kill: " + running.getNow(null));
            assertTrue(System.nanoTime() < deadline, "the moment to kill did not come: " + String.join(" ", args));
            Thread.sleep(5);
        }
        router.process().kill9();
        assertNotEquals(0, running.get(60, TimeUnit.SECONDS).code(), "the CLI saw its router go away");
        restart(pauseAfter);
    }

    /**
     * Runs {@code scoria ARGS} in the background and kills the router {@code delayMillis} later, wherever the
     * command is then (it may even have finished), and starts it again without pauses.
     */
    private void killAfter(long delayMillis, String... args) throws Exception {
        CompletableFuture<RouterProcess.Result> running = CompletableFuture.supplyAsync(() -> router.scoria(args));
        Thread.sleep(delayMillis);
        router.process().kill9();
        running.get(60, TimeUnit.SECONDS);
        restart(0);
    }

    private void restart(long pauseAfter) throws Exception {
        router.close();
        start(pauseAfter);
        assertEquals(8, journalBytes(), "the restart ended every open operation");
    }

    private BooleanSupplier intentWritten() {
        return () -> {
            try {
                return journalBytes() > 8;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    /** Whether {@code file} (white space aside) holds {@code text}: a commit point reached disk. */
    private static BooleanSupplier fileHas(Path file, String text) {
        return () -> {
            try {
                return compact(file).contains(text);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    /** {@code scoria volume list} as name → lifecycle state. */
    private Map<String, String> lifecycles() {
        Map<String, String> m = new TreeMap<>();
        List<String> lines = router.ok("volume", "list").lines().toList();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            m.put(f[0], f[4]);
        }
        m.forEach((n, s) -> assertTrue(SETTLED.contains(s), n + " is " + s + " after the restart: " + m));
        return m;
    }

    private Command qemuIo(String volume, String... commands) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-io", "-f", "raw", router.nbd(volume)));
        for (String c : commands) {
            argv.addAll(List.of("-c", c));
        }
        return Command.run(120, argv.toArray(new String[0]));
    }

    private void wholeWithData(String volume) throws Exception {
        assertEquals("available", lifecycles().get(volume), volume + " was rolled back whole");
        String read = qemuIo(volume, "read -P 0x5c 0 4M").ok().output();
        assertFalse(read.contains("Pattern verification failed"), read);
    }

    private void goneAndWiped(String volume) throws Exception {
        assertFalse(lifecycles().containsKey(volume), volume + " was deleted to the end");
        router.ok("volume", "wipe-check", volume);
    }

    @Test
    void aDeleteKilledBeforeItsCommitRollsBackAndAfterItCompletes() throws Exception {
        start(PAUSE_MILLIS);
        for (String v : new String[] {"del1", "del2", "del3"}) {
            router.ok("volume", "create", v, "--size", "16MiB");
            qemuIo(v, "write -P 0x5c 0 4M").ok();
        }

        killDuring(intentWritten(), PAUSE_MILLIS, "volume", "delete", "del1");
        wholeWithData("del1");

        killDuring(fileHas(lifecycleFile("states.json"), "\"del2\":\"deleting\""), 0, "volume", "delete", "del2");
        goneAndWiped("del2");

        // no pause, killed at a fixed delay, wherever the delete then is: either outcome, never half
        killAfter(150, "volume", "delete", "del3");
        if (lifecycles().containsKey("del3")) {
            wholeWithData("del3");
        } else {
            goneAndWiped("del3");
        }
        wholeWithData("del1");
        router.ok("volume", "delete", "del1");
        goneAndWiped("del1");
    }

    @Test
    void anAttachOrDetachKilledInTheMiddleIsWholeOrAbsent() throws Exception {
        start(PAUSE_MILLIS);
        router.ok("volume", "create", "vol-a", "--size", "16MiB");
        router.ok("host", "add", "h1", "--address", "127.0.0.1/32");

        killDuring(intentWritten(), PAUSE_MILLIS, "volume", "attach", "vol-a", "--host", "h1");
        assertFalse(router.ok("volume", "attachments", "vol-a").contains("h1"), "the attach was rolled back");
        assertEquals("available", lifecycles().get("vol-a"));

        killDuring(fileHas(dir.resolve("router").resolve("hosts.json"), "\"volume\":\"vol-a\""), PAUSE_MILLIS,
                "volume", "attach", "vol-a", "--host", "h1");
        assertTrue(router.ok("volume", "attachments", "vol-a").contains("h1"), "the attach committed");
        assertEquals("attached", lifecycles().get("vol-a"));

        killDuring(intentWritten(), PAUSE_MILLIS, "volume", "detach", "vol-a", "--host", "h1");
        assertTrue(router.ok("volume", "attachments", "vol-a").contains("h1"), "the detach was rolled back");
        assertEquals("attached", lifecycles().get("vol-a"));

        killDuring(fileHas(lifecycleFile("states.json"), "\"vol-a\":\"detaching\""), 0, "volume", "detach", "vol-a", "--host", "h1");
        assertFalse(router.ok("volume", "attachments", "vol-a").contains("h1"), "the detach completed");
        assertEquals("available", lifecycles().get("vol-a"));
        router.ok("volume", "delete", "vol-a");
    }
}
