package io.scoria.it.crash;

import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.ScoriaCli;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Handover under fio's verify load on three real {@code scoria serve} nodes ({@link ClusterRig}): fio
 * writes 4 KiB random blocks with crc32c verify headers ({@code --verify=crc32c}, a verify pass every 256
 * writes and over the whole range at the end, {@code --verify_fatal}) while {@code scoria volume move VOL
 * --to NODE} moves the volume a → b → c → a. Zero verify errors and a clean fio exit are required, and
 * each move must have happened while fio was running.
 *
 * <p>How fio survives a move: fio's nbd engine (libnbd) does not reconnect, and a move ends the client's
 * connection (the old owner answers {@code ESHUTDOWN} to what it did not acknowledge and closes it). So
 * fio talks to a local nbdkit ({@code --filter=retry}, {@code nbd} plugin) over a Unix socket; on an
 * error nbdkit reopens its connection to the backend server and retries the request, 1 s apart, up to 30
 * times. That connection goes to an {@link OwnerProxy}, which relays every new connection to the node
 * that owns the volume then, as a hypervisor reconnects to the owner the cluster names. A write the old
 * owner refused was not acknowledged; its retry on the new owner writes the same bytes. qemu's NBD client
 * was not used: its {@code reconnect-delay} reconnects to the same address but does not retry a request
 * that the server answered with an error. Needs {@code fio} and {@code nbdkit} (Debian packages).
 */
class ClusterFioHandoverIT {
    static final String VOLUME = "fiovol";
    /** fio must still run when a move starts: it writes 16 MiB at 200 writes/s (about 20 s plus the pauses). */
    static final long BEFORE_MOVE_MS = 4_000;
    /** 16 MiB of 4 KiB blocks. */
    static final long BLOCKS = 4096;
    /** fio's summary of the requests it issued: {@code issued rwts: total=READS,WRITES,TRIMS,SYNCS}. */
    private static final Pattern ISSUED = Pattern.compile("issued rwts: total=(\\d+),(\\d+),");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // the nodes' logs stay for a failed run
    Path dir;
    private ClusterRig rig;
    private OwnerProxy proxy;
    private ManagedProcess nbdkit;
    private ManagedProcess fio;

    @AfterEach
    void tearDown() throws Exception {
        for (ManagedProcess p : new ManagedProcess[]{fio, nbdkit}) {
            if (p != null) {
                p.kill9();
            }
        }
        if (proxy != null) {
            proxy.close();
        }
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void movesUnderFioVerifyLoadGiveNoVerifyError() throws Exception {
        rig = ClusterRig.start(dir, "fiomove");
        ClusterNodes cluster = rig.cluster;
        cluster.createVolume(rig.a, VOLUME, "64MiB");
        new NbdLoad(rig.a.nbdPort, VOLUME).close(); // node a opens it: a owns it
        assertEquals("a", cluster.owner(rig.c, VOLUME));
        proxy = new OwnerProxy(cluster, rig.c, VOLUME);
        Path socket = dir.resolve("nbdkit.sock");
        nbdkit = ManagedProcess.start("nbdkit", List.of("nbdkit", "--foreground", "--exit-with-parent", "-U", socket.toString(),
                "--filter=retry", "nbd", "hostname=127.0.0.1", "port=" + proxy.port(), "export=" + VOLUME, "retries=30",
                "retry-delay=1", "retry-exponential=no"), dir, dir.resolve("nbdkit.log"));
        nbdkit.awaitReady(Duration.ofSeconds(30), () -> Files.exists(socket));
        Path fioLog = dir.resolve("fio.log");
        fio = ManagedProcess.start("fio", List.of("fio", "--name=handover", "--ioengine=nbd",
                "--uri=nbd+unix:///?socket=" + socket, "--rw=randwrite", "--bs=4k", "--size=16m", "--iodepth=8",
                "--verify=crc32c", "--verify_backlog=256", "--verify_fatal=1", "--rate_iops=2000,200"), dir, fioLog);

        List<String> moves = new ArrayList<>();
        ClusterNodes.Node owner = rig.a;
        for (ClusterNodes.Node to : List.of(rig.b, rig.c, rig.a)) {
            Thread.sleep(BEFORE_MOVE_MS);
            assertTrue(fio.isAlive(), "fio ended before the move to node " + to.id + " (" + moves.size() + " moves done):\n"
                    + fio.logTail(30));
            Command moved = ScoriaCli.run(owner.apiPort, owner.dataDir.resolve("admin.token"), "volume", "move", VOLUME,
                    "--to", to.id);
            assertEquals(0, moved.exitCode(), moved.output() + "\n" + owner.process.logTail(30));
            assertTrue(moved.output().contains("to node " + to.id), moved.output());
            moves.add(moved.output().strip());
            owner = to;
            awaitRoute(to, fio);
        }
        assertTrue(fio.process().waitFor(180, TimeUnit.SECONDS), "fio did not finish within 180 s:\n" + fio.logTail(30));
        String out = Files.readString(fioLog);
        assertEquals(0, fio.process().exitValue(), "fio failed:\n" + out + "\nnbdkit:\n" + nbdkit.logTail(30));
        assertFalse(out.contains("verify failed") || out.contains("bad magic") || out.contains("bad header"),
                "fio verify errors:\n" + out);
        assertTrue(out.contains("err= 0"), "fio reported an error:\n" + out);
        assertEquals(List.of("a", "b", "c", "a"), followed(proxy.routes()), "the owners fio's connections went to");
        Matcher issued = ISSUED.matcher(out);
        assertTrue(issued.find(), "no 'issued rwts' in fio's output:\n" + out);
        long reads = Long.parseLong(issued.group(1));
        long writes = Long.parseLong(issued.group(2));
        assertEquals(BLOCKS, writes, "fio's writes:\n" + out);
        assertTrue(reads >= writes, "fio read back " + reads + " of its " + writes + " blocks:\n" + out);
        System.out.printf("ClusterFioHandoverIT: 3 moves under fio --verify=crc32c, %d writes, %d verify reads, 0 verify "
                + "errors; proxy routes %s;%n  %s%n", writes, reads, proxy.routes(), String.join("\n  ", moves));
    }

    /** Waits until the proxy relayed a connection to {@code to} (nbdkit reconnected after the move) while fio runs. */
    private void awaitRoute(ClusterNodes.Node to, ManagedProcess fio) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (proxy.routes().isEmpty() || !proxy.routes().get(proxy.routes().size() - 1).equals(to.id)) {
            if (!fio.isAlive() || System.nanoTime() > deadline) {
                fail("nbdkit did not reconnect to node " + to.id + " (routes " + proxy.routes() + "):\nfio:\n" + fio.logTail(20)
                        + "\nnbdkit:\n" + nbdkit.logTail(20));
            }
            Thread.sleep(50);
        }
    }

    /** The nodes in {@code routes} without refused connections and without repeats in a row. */
    private static List<String> followed(List<String> routes) {
        List<String> nodes = new ArrayList<>();
        for (String r : routes) {
            if (!r.equals("-") && (nodes.isEmpty() || !nodes.get(nodes.size() - 1).equals(r))) {
                nodes.add(r);
            }
        }
        return nodes;
    }
}
