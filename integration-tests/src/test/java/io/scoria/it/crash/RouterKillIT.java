package io.scoria.it.crash;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kill -9} of {@code scoria serve} (FOC in sync mode, fs backend) at a random moment of a
 * 4 KiB random-write load with 16 writes in flight, then restart; every acknowledged write must
 * read back (a write in flight at the kill may be either old or new). Runs
 * {@code -Dscoria.soak.iterations} rounds (5 by default; the soak profile in the README uses 20):
 * The router restarts on the same data directory (local flash survives: the engine's own
 * restart); {@link DataDirLossIT} restarts it on an empty one.
 */
class RouterKillIT {
    static final String VOLUME = "crashvol";
    static final int BLOCKS = 4096;

    @TempDir
    Path dir;
    private Rig rig;
    private final ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() {
        killer.shutdownNow();
        if (rig != null) {
            rig.close();
        }
    }

    static int iterations() {
        return Integer.getInteger("scoria.soak.iterations", 5);
    }

    /** Connects, verifies, runs the load until the router is killed at a random moment; returns writes acked. */
    static long verifyThenLoadUntilKilled(Rig rig, AckLog log, Random rnd, ScheduledExecutorService killer, int round)
            throws Exception {
        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
            StringBuilder errors = new StringBuilder();
            long bad = nbd.verify(log, errors);
            assertEquals(0, bad, "round " + round + ": acknowledged writes lost or corrupted: " + errors
                    + "\n" + rig.router.logTail(30));
            long killAfterMs = 1000 + rnd.nextInt(2500);
            var kill = killer.schedule(rig.router::kill9, killAfterMs, TimeUnit.MILLISECONDS);
            long acked = nbd.randomWrites(log, 16, rnd.nextLong(), () -> false);
            kill.get();
            assertEquals(0, nbd.errorReplies, "writes failed before the kill");
            return acked;
        }
    }

    static void finalVerify(Rig rig, AckLog log) throws Exception {
        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
            StringBuilder errors = new StringBuilder();
            assertEquals(0, nbd.verify(log, errors), "acknowledged writes lost: " + errors);
        }
    }

    @Test
    void killNineOnTheSameDataDirectoryLosesNoAcknowledgedWrite() throws Exception {
        rig = new Rig(dir);
        rig.startFoc();
        rig.startRouter("data", rig.fsBackend(), "sync");
        rig.createVolume(VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        long total = 0;
        for (int round = 1; round <= iterations(); round++) {
            long acked = verifyThenLoadUntilKilled(rig, log, rnd, killer, round);
            assertTrue(acked > 100, "round " + round + ": only " + acked + " writes acknowledged before the kill");
            total += acked;
            rig.startRouter("data", rig.fsBackend(), "sync");
        }
        finalVerify(rig, log);
        System.out.printf("RouterKillIT same dir: %d rounds, %d acknowledged writes, 0 mismatches%n", iterations(), total);
    }
}
