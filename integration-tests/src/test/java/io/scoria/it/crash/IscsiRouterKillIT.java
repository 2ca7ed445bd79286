package io.scoria.it.crash;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code kill -9} of {@code scoria serve} (FOC in sync mode, fs backend) while QEMU's iSCSI driver
 * ({@code qemu-io}) writes 4 KiB blocks, each with its own byte pattern, one after another; then
 * restart on the same data directory. Every write {@code qemu-io} reported done (the target answered
 * GOOD) must read back over iSCSI; the one in flight at the kill may be old or new. Runs
 * {@code -Dscoria.soak.iterations} rounds (5 by default).
 */
class IscsiRouterKillIT {
    static final String VOLUME = "iscsicrash";
    static final int BLOCKS = 4096;
    static final Pattern WROTE = Pattern.compile("wrote 4096/4096 bytes at offset (\\d+)");

    @TempDir
    Path dir;
    private Rig rig;

    @AfterEach
    void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    String lun() {
        return "iscsi://127.0.0.1:" + rig.iscsiPort + "/iqn.2026-12.io.scoria:" + VOLUME + "/0";
    }

    @Test
    void killNineLosesNoAcknowledgedIscsiWrite() throws Exception {
        rig = new Rig(dir);
        rig.startFoc();
        rig.startRouter("data", rig.fsBackend(), "sync");
        rig.createVolume(VOLUME, "16MiB");
        Random rnd = new Random(Long.getLong("scoria.crash.seed", System.nanoTime()));
        int[] acked = new int[BLOCKS]; // pattern byte of each block's last acknowledged write (0: zeros)
        int total = 0;
        for (int round = 1; round <= Integer.getInteger("scoria.soak.iterations", 5); round++) {
            List<int[]> plan = new ArrayList<>(); // {block, pattern}
            // line-buffered, so that every "wrote" line qemu-io printed is in the file when it is killed
            List<String> argv = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
            for (int i = 0; i < 20_000; i++) {
                int block = rnd.nextInt(BLOCKS);
                int pattern = 1 + rnd.nextInt(255);
                plan.add(new int[]{block, pattern});
                argv.add("-c");
                argv.add("write -P " + pattern + " " + block * 4096L + " 4k");
            }
            argv.add(lun());
            Path out = dir.resolve("writer-" + round + ".log");
            Process writer = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            long deadline = System.nanoTime() + 120_000_000_000L; // the first open of the volume registers with the FOC
            while (!Files.readString(out).contains("wrote ") && writer.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(1000 + rnd.nextInt(3000));
            rig.router.kill9();
            Thread.sleep(500);
            writer.destroyForcibly();
            writer.waitFor(30, TimeUnit.SECONDS);
            int done = 0;
            Matcher m = WROTE.matcher(Files.readString(out));
            while (m.find()) {
                int[] w = plan.get(done);
                assertEquals(w[0] * 4096L, Long.parseLong(m.group(1)), "qemu-io reports writes in order");
                acked[w[0]] = w[1];
                done++;
            }
            String tail = Files.readString(out).lines().limit(5).toList().toString();
            assertTrue(done > 20, "round " + round + ": only " + done + " writes acknowledged before the kill: " + tail
                    + "\n" + rig.router.logTail(30));
            total += done;
            int[] inFlight = done < plan.size() ? plan.get(done) : null;
            rig.startRouter("data", rig.fsBackend(), "sync");
            if (inFlight != null) {
                int now = firstByte(inFlight[0]);
                assertTrue(now == acked[inFlight[0]] || now == inFlight[1], "round " + round
                        + ": the write in flight left block " + inFlight[0] + " neither old nor new: " + now);
                acked[inFlight[0]] = now;
            }
            verify(acked, round);
        }
        System.out.printf("IscsiRouterKillIT: %d acknowledged iSCSI writes, 0 lost%n", total);
    }

    private int firstByte(int block) throws Exception {
        Process p = new ProcessBuilder("qemu-io", "-f", "raw", "-c", "read -v " + block * 4096L + " 1", lun())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        Matcher m = Pattern.compile("^[0-9a-f]{8}:\\s+([0-9a-f]{2})", Pattern.MULTILINE).matcher(out);
        assertTrue(m.find(), out);
        return Integer.parseInt(m.group(1), 16);
    }

    /** Reads every block with its expected pattern in one qemu-io run; no "Pattern verification failed" allowed. */
    private void verify(int[] acked, int round) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        Map<Long, Integer> expected = new HashMap<>();
        for (int b = 0; b < BLOCKS; b++) {
            argv.add("-c");
            argv.add("read -P " + acked[b] + " " + b * 4096L + " 4k");
            expected.put(b * 4096L, acked[b]);
        }
        argv.add(lun());
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertFalse(out.contains("Pattern verification failed"), "round " + round + ": acknowledged writes lost: "
                + out.lines().filter(l -> l.contains("failed")).limit(10).toList() + " of " + expected.size());
        assertEquals(BLOCKS, out.lines().filter(l -> l.startsWith("read 4096/4096")).count(), out);
    }
}
