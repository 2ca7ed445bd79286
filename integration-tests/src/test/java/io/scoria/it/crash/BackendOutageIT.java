package io.scoria.it.crash;

import io.scoria.it.harness.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend (a real s3proxy process) stops for 30 s during a 4 KiB random-write load on
 * {@code scoria serve} (64 MiB SCO cache, FOC in sync mode): writes go on until the local SCO
 * budget holds only SCOs that are not on the backend, then block (backpressure, no errors),
 * and resume when the backend returns; every acknowledged write reads back, also after the
 * router is killed and restarted.
 */
class BackendOutageIT {
    static final String VOLUME = "outagevol";

    @TempDir
    Path dir;
    private Rig rig;
    private S3ProxyServer s3;

    @AfterEach
    void tearDown() throws Exception {
        if (rig != null) {
            rig.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void writesBlockWhileTheBackendIsDownAndResumeWithNothingLost() throws Exception {
        s3 = S3ProxyServer.start("outage");
        String backend = "{type: s3, s3: {endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY
                + ", secretKey: " + S3ProxyServer.SECRET_KEY + ", conditionalPut: true}}";
        rig = new Rig(dir);
        rig.startFoc();
        rig.startRouter("data", backend, "sync");
        rig.createVolume(VOLUME, "64MiB");
        AckLog log = new AckLog(4096);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong errors = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
                nbd.randomWrites(log, 16, 42, stop::get);
                errors.set(nbd.errorReplies);
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "outage-writer");
        writer.start();
        // the volume opens on the first NBD connection (map, FOC registration): on a loaded machine
        // that alone can take seconds, so wait for writes to flow, then let them run a while
        long flowing = System.nanoTime() + 60_000_000_000L;
        while (log.ackedWrites <= 100 && failure.get() == null && System.nanoTime() < flowing) {
            Thread.sleep(100);
        }
        Thread.sleep(2000);
        long beforeOutage = log.ackedWrites;
        assertTrue(beforeOutage > 100, "writes before the outage: " + beforeOutage);

        s3.kill9();
        long[] samples = new long[30];
        for (int s = 0; s < samples.length; s++) {
            Thread.sleep(1000);
            samples[s] = log.ackedWrites;
        }
        long duringOutage = samples[samples.length - 1] - beforeOutage;
        long lastTenSeconds = samples[samples.length - 1] - samples[samples.length - 11];
        System.out.printf("backend outage: %d writes acknowledged before, %d during the 30 s outage "
                + "(%d in its last 10 s), samples %s%n", beforeOutage, duringOutage, lastTenSeconds,
                java.util.Arrays.toString(samples));
        assertTrue(duringOutage > 0, "writes went on while the backend was down");
        assertEquals(0, lastTenSeconds, "once the 64 MiB SCO cache holds only SCOs not on the backend, writes wait");
        assertEquals(null, failure.get(), "the writer did not fail");

        s3.start();
        long resumedFrom = log.ackedWrites;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (log.ackedWrites < resumedFrom + 1000 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(log.ackedWrites >= resumedFrom + 1000, "writes resumed after the backend came back: "
                + (log.ackedWrites - resumedFrom) + "\n" + rig.router.logTail(30));
        stop.set(true);
        writer.join(60_000);
        assertEquals(null, failure.get(), "the writer did not fail");
        assertEquals(0, errors.get(), "no write was failed: backpressure, not errors");

        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
            StringBuilder bad = new StringBuilder();
            assertEquals(0, nbd.verify(log, bad), "acknowledged writes lost: " + bad);
        }
        rig.router.kill9();
        rig.startRouter("data", backend, "sync");
        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, VOLUME)) {
            StringBuilder bad = new StringBuilder();
            assertEquals(0, nbd.verify(log, bad), "acknowledged writes lost after kill -9 and restart: " + bad);
        }
    }
}
