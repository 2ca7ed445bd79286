package io.scoria.it.crash;

import io.scoria.it.harness.ScoriaCli;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 25's crash check with many volumes on one node: a real {@code scoria serve} (FOC in sync mode,
 * fs backend, as {@link RouterKillIT}) holds {@code -Dscoria.density.volumes} volumes (100 by default,
 * 1,000 in the soak run of the README), each written over NBD with its own pattern (every volume takes
 * its versions from a range of its own, so data of one volume read from another fails the check). Then
 * {@value #BUSY} volumes spread over the set take 4 KiB random writes, 4 in flight each, the router is
 * killed with {@code kill -9} in the middle of them, and restarted on the same data directory. Every
 * volume must be listed, open over NBD and read back every acknowledged write byte-exact (a write in
 * flight at the kill may read old or new). Prints what was acknowledged and in flight at the kill, and
 * the time from the restart until every volume was served again (opened and read over NBD).
 */
class DensityCrashIT {
    /** Blocks of 4 KiB written into each volume (one NBD write of 64 KiB). */
    static final int BLOCKS = 16;
    /** Volumes under write load when the router is killed. */
    static final int BUSY = 8;
    /** NBD clients at a time while creating, filling and reading the volumes. */
    static final int CLIENTS = 4;

    @TempDir
    Path dir;
    private Rig rig;
    private final ExecutorService clients = Executors.newFixedThreadPool(BUSY);

    @AfterEach
    void tearDown() {
        clients.shutdownNow();
        if (rig != null) {
            rig.close();
        }
    }

    static int volumes() {
        int n = Integer.getInteger("scoria.density.volumes", 100);
        if (n < BUSY) {
            throw new IllegalArgumentException("scoria.density.volumes must be at least " + BUSY + ": " + n);
        }
        return n;
    }

    static String name(int i) {
        return String.format("dense-%04d", i);
    }

    /** Runs {@code task} for 0..n-1, {@link #CLIENTS} at a time; rethrows the first failure. */
    private void eachVolume(int n, IndexedTask task) throws Exception {
        List<Callable<Void>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int v = i;
            calls.add(() -> {
                task.run(v);
                return null;
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            for (Future<Void> f : pool.invokeAll(calls)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private interface IndexedTask {
        void run(int volume) throws Exception;
    }

    @Test
    void killNineWithManyVolumesLosesNoAcknowledgedWrite() throws Exception {
        int n = volumes();
        rig = new Rig(dir);
        rig.cache = "{clusterCache: 16MiB, scoCache: " + Math.max(256, n + 256) + "MiB}";
        rig.startFoc();
        rig.startRouter("data", rig.fsBackend(), "sync");

        long t0 = System.nanoTime();
        eachVolume(n, i -> rig.createVolume(name(i), "1GiB"));
        long created = System.nanoTime();
        AckLog[] logs = new AckLog[n];
        eachVolume(n, i -> {
            logs[i] = new AckLog(BLOCKS, (i + 1L) << 32);
            try (NbdLoad nbd = new NbdLoad(rig.nbdPort, name(i))) {
                nbd.fill(logs[i], BLOCKS);
            }
        });
        long filled = System.nanoTime();
        System.out.printf("DensityCrashIT: %d volumes created in %d ms, %d KiB written into each over NBD in %d ms%n",
                n, ms(created - t0), BLOCKS * AckLog.BS / 1024, ms(filled - created));

        int[] busy = IntStream.range(0, BUSY).map(k -> k * n / BUSY + n / (2 * BUSY)).toArray();
        loadThenKill(logs, busy);

        long restart = System.nanoTime();
        rig.startRouter("data", rig.fsBackend(), "sync");
        long listening = System.nanoTime();
        StringBuilder errors = new StringBuilder();
        long[] bad = new long[n];
        eachVolume(n, i -> {
            try (NbdLoad nbd = new NbdLoad(rig.nbdPort, name(i))) {
                StringBuilder e = new StringBuilder();
                bad[i] = nbd.verify(logs[i], e);
                if (bad[i] != 0) {
                    synchronized (errors) {
                        errors.append(name(i)).append(": ").append(e).append('\n');
                    }
                }
            }
        });
        long served = System.nanoTime();
        Set<String> listed = listed();
        System.out.printf("DensityCrashIT: restart until NBD and API listen %d ms; all %d volumes served again "
                + "(each opened and read over NBD, %d at a time) %d ms after the restart began%n",
                ms(listening - restart), n, CLIENTS, ms(served - restart));

        assertEquals(0, IntStream.range(0, n).mapToLong(i -> bad[i]).sum(),
                "acknowledged writes lost or corrupted:\n" + errors + rig.router.logTail(30));
        Set<String> missing = IntStream.range(0, n).mapToObj(DensityCrashIT::name).filter(v -> !listed.contains(v))
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(missing.isEmpty(), "volumes not listed after the restart: " + missing);
        long acked = IntStream.range(0, n).mapToLong(i -> logs[i].ackedWrites).sum();
        System.out.printf("DensityCrashIT: %d volumes, %d acknowledged writes, 0 mismatches%n", n, acked);
    }

    /**
     * Puts 4 KiB random writes on the {@code busy} volumes, kills the router once each has had at least 50
     * acknowledged plus a random extra moment, and prints per volume what was acknowledged and what was in
     * flight at the kill.
     */
    private void loadThenKill(AckLog[] logs, int[] busy) throws Exception {
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        List<NbdLoad> loads = new ArrayList<>();
        List<Future<Long>> running = new ArrayList<>();
        long[] before = new long[busy.length];
        try {
            for (int k = 0; k < busy.length; k++) {
                NbdLoad load = new NbdLoad(rig.nbdPort, name(busy[k]));
                loads.add(load);
                AckLog log = logs[busy[k]];
                before[k] = log.ackedWrites;
                long seed = rnd.nextLong();
                running.add(clients.submit(() -> load.randomWrites(log, 4, seed, () -> false)));
            }
            for (int k = 0; k < busy.length; k++) {
                logs[busy[k]].awaitAcked(before[k] + 50, name(busy[k]) + " before the kill");
            }
            Thread.sleep(rnd.nextInt(500));
            rig.router.kill9();
            long inFlightTotal = 0;
            for (int k = 0; k < busy.length; k++) {
                long acked = running.get(k).get(60, TimeUnit.SECONDS);
                AckLog log = logs[busy[k]];
                long inFlight = inFlight(log);
                inFlightTotal += inFlight;
                System.out.printf("DensityCrashIT: %s: %d writes acknowledged under load, %d in flight at the kill%n",
                        name(busy[k]), acked, inFlight);
                assertEquals(0, loads.get(k).errorReplies, name(busy[k]) + ": writes failed before the kill");
            }
            assertTrue(inFlightTotal > 0, "the kill came while writes were in flight");
        } finally {
            for (NbdLoad l : loads) {
                l.close();
            }
        }
    }

    private static long inFlight(AckLog log) {
        synchronized (log) {
            return IntStream.range(0, log.blocks()).filter(b -> log.inFlight[b] != 0).count();
        }
    }

    /** The names {@code scoria volume list} shows (all pages). */
    private Set<String> listed() {
        Command list = ScoriaCli.run(rig.apiPort, rig.adminToken(), "volume", "list").ok();
        List<String> lines = list.output().lines().toList();
        assertTrue(lines.get(0).startsWith("NAME"), lines.get(0));
        return lines.subList(1, lines.size()).stream().map(l -> l.trim().split("\\s+")[0])
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
