package io.scoria.it.crash;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rollback and reset with a fail-over cache (sync mode), then loss of the router: the FOC must not
 * replay writes that the rollback (or the clone's reset) discarded, and must replay the writes made
 * after it. Writes, snapshots, writes more (to be discarded), rolls back, writes again (kept); the
 * same on a clone of the snapshot with a reset to its parent; then {@code kill -9} of the router,
 * its whole data directory deleted, and a restart on a new one (backend + FOC replay): every block
 * holds exactly its expected version. A discarded write that came back (e.g. if the FOC entries
 * were not dropped) is a mismatch.
 */
class FocRollbackResetIT {
    static final String VOLUME = "rbvol";
    static final String CLONE = "rbclone";
    static final int BLOCKS = 2048;

    @TempDir
    Path dir;
    private Rig rig;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    private void post(String path, String json, int expect) throws Exception {
        HttpResponse<String> r = http.send(rig.api(path)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(expect, r.statusCode(), "POST " + path + ": " + r.body());
    }

    /** Random 4 KiB writes over the volume until {@code n} more are acknowledged. */
    private static void write(Rig rig, String volume, AckLog log, long n, long seed) throws Exception {
        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, volume)) {
            long target = log.ackedWrites + n;
            nbd.randomWrites(log, 16, seed, () -> log.ackedWrites >= target);
            assertEquals(0, nbd.errorReplies, volume + ": writes failed");
        }
    }

    private static void verify(Rig rig, String volume, AckLog log, String when) throws Exception {
        try (NbdLoad nbd = new NbdLoad(rig.nbdPort, volume)) {
            StringBuilder errors = new StringBuilder();
            assertEquals(0, nbd.verify(log, errors), volume + " " + when + ": blocks differ from the expected version "
                    + "(discarded writes back, or kept writes lost): " + errors + "\n" + rig.router.logTail(30));
        }
    }

    /** A log of the clone: starts as the parent's state; versions above every version of the parent's log. */
    private static AckLog cloneLog(AckLog parent, long[] state) {
        AckLog l = new AckLog(parent.blocks());
        System.arraycopy(state, 0, l.acked, 0, state.length);
        long top = parent.nextVersion();
        while (l.nextVersion() < top) {
            // burn versions, so that a clone's write never looks like one of the parent's
        }
        return l;
    }

    /** Blocks whose version in {@code discarded} differs from both {@code expected} now: a comeback would show. */
    private static int exposed(long[] discarded, long[] before, long[] expected) {
        int n = 0;
        for (int b = 0; b < expected.length; b++) {
            if (discarded[b] != before[b] && discarded[b] != expected[b]) {
                n++;
            }
        }
        return n;
    }

    @Test
    void discardedWritesStayDiscardedAfterRouterAndDataDirLoss() throws Exception {
        rig = new Rig(dir);
        rig.startFoc();
        rig.startRouter("data-0", rig.fsBackend(), "sync");
        rig.createVolume(VOLUME, "8MiB");
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        AckLog log = new AckLog(BLOCKS);

        write(rig, VOLUME, log, 1500, rnd.nextLong());
        post("/v1/volumes/" + VOLUME + "/snapshots", "{\"name\":\"s1\"}", 201);
        long[] atSnapshot = log.acked.clone();
        write(rig, VOLUME, log, 1500, rnd.nextLong()); // discarded by the rollback
        long[] discarded = log.acked.clone();
        post("/v1/volumes/" + VOLUME + "/rollback", "{\"snapshot\":\"s1\"}", 200);
        System.arraycopy(atSnapshot, 0, log.acked, 0, BLOCKS);
        verify(rig, VOLUME, log, "right after the rollback");
        write(rig, VOLUME, log, 600, rnd.nextLong()); // kept

        post("/v1/volumes/" + VOLUME + "/clones", "{\"name\":\"" + CLONE + "\",\"snapshot\":\"s1\"}", 201);
        AckLog clone = cloneLog(log, atSnapshot);
        verify(rig, CLONE, clone, "as created");
        write(rig, CLONE, clone, 1200, rnd.nextLong()); // discarded by the reset
        long[] cloneDiscarded = clone.acked.clone();
        post("/v1/volumes/" + CLONE + "/reset", "", 200);
        System.arraycopy(atSnapshot, 0, clone.acked, 0, BLOCKS);
        verify(rig, CLONE, clone, "right after the reset");
        write(rig, CLONE, clone, 600, rnd.nextLong()); // kept

        int volExposed = exposed(discarded, atSnapshot, log.acked);
        int cloneExposed = exposed(cloneDiscarded, atSnapshot, clone.acked);
        assertTrue(volExposed > 100 && cloneExposed > 100, "too few blocks would show a discarded write: "
                + volExposed + " / " + cloneExposed);

        rig.router.kill9();
        Rig.deleteTree(dir.resolve("data-0"));
        rig.startRouter("data-1", rig.fsBackend(), "sync");
        verify(rig, VOLUME, log, "after kill -9 and a new data directory");
        verify(rig, CLONE, clone, "after kill -9 and a new data directory");
        System.out.printf("FocRollbackResetIT: %d + %d blocks would show a discarded write; 0 mismatches after "
                + "kill -9 and data dir loss%n", volExposed, cloneExposed);
    }
}
