package io.scoria.it.crash;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static io.scoria.it.crash.RouterKillIT.BLOCKS;
import static io.scoria.it.crash.RouterKillIT.VOLUME;
import static io.scoria.it.crash.RouterKillIT.finalVerify;
import static io.scoria.it.crash.RouterKillIT.iterations;
import static io.scoria.it.crash.RouterKillIT.verifyThenLoadUntilKilled;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * As {@link RouterKillIT}, but after each {@code kill -9} the router's whole data directory is
 * deleted and it restarts on a new, empty one (same fs backend, same FOC): every acknowledged
 * write comes back from the backend plus the FOC's replay.
 */
class DataDirLossIT {
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

    @Test
    void killNineAndLossOfTheWholeDataDirectoryLosesNoAcknowledgedWrite() throws Exception {
        rig = new Rig(dir);
        rig.startFoc();
        rig.startRouter("data-0", rig.fsBackend(), "sync");
        rig.createVolume(VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        long total = 0;
        for (int round = 1; round <= iterations(); round++) {
            long acked = verifyThenLoadUntilKilled(rig, log, rnd, killer, round);
            assertTrue(acked > 100, "round " + round + ": only " + acked + " writes acknowledged before the kill");
            total += acked;
            Rig.deleteTree(dir.resolve("data-" + (round - 1)));
            rig.startRouter("data-" + round, rig.fsBackend(), "sync");
        }
        finalVerify(rig, log);
        System.out.printf("RouterKillIT new dir: %d rounds, %d acknowledged writes, 0 mismatches%n", iterations(), total);
    }
}
