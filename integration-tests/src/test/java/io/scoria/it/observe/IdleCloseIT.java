package io.scoria.it.observe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Idle close in a real {@code scoria serve} (fs backend) with a real NBD client (qemu-io): a volume
 * nobody uses is closed after {@code volumes.idleClose} (the open-volume gauge drops to 0) and the
 * next client reads every byte written before; a volume with a connected client stays open however
 * long the client says nothing; the REST list refuses a bad page size with a 400.
 */
class IdleCloseIT {
    @TempDir
    Path dir;

    private static double metric(Router r, String name) throws Exception {
        return new Exposition(r.metrics()).value(name);
    }

    private static void awaitOpen(Router r, double want, long timeoutMs) throws Exception {
        long end = System.currentTimeMillis() + timeoutMs;
        while (metric(r, "scoria_volumes_open") != want) {
            if (System.currentTimeMillis() > end) {
                fail("scoria_volumes_open stayed " + metric(r, "scoria_volumes_open") + ", not " + want + "\n" + r.logTail());
            }
            Thread.sleep(100);
        }
    }

    @Test
    void anIdleVolumeIsClosedAndReopenedWithItsDataAndAConnectedOneStaysOpen() throws Exception {
        try (Router r = new Router(dir, "idle", "{scoSize: 1MiB, idleClose: 1s}", "")) {
            r.createVolume("idle-vm", "64MiB");
            r.qemuIo("idle-vm", "write -P 0x5a 0 1M", "write -P 0x3c 10M 512k", "flush");
            awaitOpen(r, 0, 20_000);
            assertTrue(metric(r, "scoria_volumes_idle_closes_total") >= 1);

            r.qemuIo("idle-vm", "read -P 0x5a 0 1M", "read -P 0x3c 10M 512k", "read -P 0 1M 9M");
            awaitOpen(r, 0, 20_000);

            // a client connected for 4 s that says nothing for 3.5 s of them: never closed under it
            double closesBefore = metric(r, "scoria_volumes_idle_closes_total");
            Process held = new ProcessBuilder(List.of("qemu-io", "-f", "raw", "nbd://127.0.0.1:" + r.nbdPort + "/idle-vm",
                    "-c", "read -P 0x5a 0 4k", "-c", "sleep 3500", "-c", "write -P 0x77 2M 4k", "-c", "read -P 0x3c 10M 4k"))
                    .redirectErrorStream(true).start();
            Thread.sleep(1500);
            for (int i = 0; i < 15; i++) {
                assertEquals(1.0, metric(r, "scoria_volumes_open"), "closed under a connected client");
                Thread.sleep(100);
            }
            String out = new String(held.getInputStream().readAllBytes());
            assertTrue(held.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, held.exitValue(), out);
            assertFalse(out.contains("failed"), out);
            assertEquals(closesBefore, metric(r, "scoria_volumes_idle_closes_total"), "no close while connected");
            awaitOpen(r, 0, 20_000);
            r.qemuIo("idle-vm", "read -P 0x77 2M 4k", "read -P 0x5a 0 1M");

            HttpResponse<String> bad = r.get("/v1/volumes?limit=0", true);
            assertEquals(400, bad.statusCode(), bad.body());
            assertTrue(bad.body().contains("limit"), bad.body());
            assertEquals(200, r.get("/v1/volumes?limit=1", true).statusCode());
        }
    }
}
