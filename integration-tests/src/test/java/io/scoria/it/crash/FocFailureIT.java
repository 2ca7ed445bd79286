package io.scoria.it.crash;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import static io.scoria.it.crash.RouterKillIT.BLOCKS;
import static io.scoria.it.crash.RouterKillIT.VOLUME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fail-over cache itself failing, with real processes:
 * <ul>
 * <li>{@code kill -9} of {@code scoria foc-server} during the load: writes go on, the volume shows
 * DEGRADED in the REST API and {@code scoria_volume_foc_degraded}, OK once the FOC is back (the client
 * re-sent what it kept); then the router is killed and restarted on an empty data directory, and
 * every acknowledged write is there;</li>
 * <li>async mode: a FLUSH that returned is durable although the router is killed right after its
 * reply and its local flash is lost.</li>
 * </ul>
 */
class FocFailureIT {
    @TempDir
    Path dir;
    private Rig rig;
    private final ExecutorService exec = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        exec.shutdownNow();
        if (rig != null) {
            rig.close();
        }
    }

    private void awaitState(String want, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String s = rig.volumeState(VOLUME);
        while (!s.equals(want) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            s = rig.volumeState(VOLUME);
        }
        assertEquals(want, s, "volume state after " + seconds + " s");
    }

    private static void verifyAll(Rig rig, AckLog log, String what) throws Exception {
        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
            StringBuilder errors = new StringBuilder();
            assertEquals(0, nbd.verify(log, errors), what + ": acknowledged writes lost: " + errors + "\n"
                    + rig.router.logTail(30));
        }
    }

    @Test
    void focKilledDuringLoadDegradesThenRecoversWithoutLoss() throws Exception {
        rig = new Rig(dir);
        rig.startFoc();
        rig.startRouter("data-0", rig.fsBackend(), "sync");
        rig.createVolume(VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        AtomicBoolean stop = new AtomicBoolean();
        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
            CompletableFuture<Long> load = CompletableFuture.supplyAsync(() -> {
                try {
                    return nbd.randomWrites(log, 16, new Random().nextLong(), stop::get);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, exec);
            Thread.sleep(1500);
            rig.foc.kill9();
            long atKill = log.ackedWrites;
            awaitState("DEGRADED", 15);
            Pattern gauge = Pattern.compile("scoria_volume_foc_degraded\\{[^}]*volume=\"" + VOLUME + "\"[^}]*\\} 1\\.0");
            assertTrue(gauge.matcher(rig.metrics()).find(), "degraded gauge not 1");
            Thread.sleep(2000);
            long whileDown = log.ackedWrites - atKill;
            assertTrue(whileDown > 500, "only " + whileDown + " writes acknowledged in the 2+ s without FOC");
            rig.startFoc();
            awaitState("OK", 30);
            Thread.sleep(1000);
            stop.set(true);
            long acked = load.get(120, TimeUnit.SECONDS);
            assertEquals(0, nbd.errorReplies, "writes failed");
            System.out.printf("FocFailureIT: %d writes acknowledged, %d of them while the FOC was down%n", acked, whileDown);
        }
        rig.router.kill9();
        Rig.deleteTree(dir.resolve("data-0"));
        rig.startRouter("data-1", rig.fsBackend(), "sync");
        verifyAll(rig, log, "after FOC loss and return, router kill and data dir loss");
    }

    @Test
    void flushThatReturnedIsDurableWhenTheRouterDiesRightAfter() throws Exception {
        rig = new Rig(dir);
        rig.startFoc();
        rig.startRouter("data-0", rig.fsBackend(), "async");
        rig.createVolume(VOLUME, "64MiB");
        AckLog log = new AckLog(BLOCKS);
        Random rnd = new Random();
        for (int round = 1; round <= 3; round++) {
            try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800 + rnd.nextInt(1200));
                long acked = nbd.randomWrites(log, 16, rnd.nextLong(), () -> System.nanoTime() > end);
                assertTrue(acked > 100, "only " + acked + " writes");
                assertEquals(0, nbd.flush(), "FLUSH failed");
                rig.router.kill9();
            }
            Rig.deleteTree(dir.resolve("data-" + (round - 1)));
            rig.startRouter("data-" + round, rig.fsBackend(), "async");
            verifyAll(rig, log, "round " + round + " after FLUSH, kill -9 and data dir loss");
        }
    }
}
