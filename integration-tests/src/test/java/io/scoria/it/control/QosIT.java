package io.scoria.it.control;

import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.nbd.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-volume QoS caps against the real {@code scoria serve}, set through the CLI: with fio writing
 * to a capped and an uncapped volume at once over NBD, the capped one stays within 10% of its cap
 * (per-second figures from fio's IOPS log, after the first burst) while the neighbour runs flat out;
 * raising the cap while fio runs takes effect within a second; an iSCSI initiator (QEMU) is held to
 * the same cap; the caps survive a restart.
 */
class QosIT {
    private static final Pattern QEMU_BENCH = Pattern.compile("Run completed in ([0-9.]+) seconds");

    @TempDir
    Path dir;
    ManagedProcess serve;
    int apiPort;
    int nbdPort;
    int iscsiPort;

    @AfterEach
    void stop() {
        if (serve != null) {
            serve.close();
        }
    }

    private void start() throws IOException {
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        Path cfg = dir.resolve("scoria.yaml");
        if (apiPort == 0) {
            apiPort = ManagedProcess.freePort();
            nbdPort = ManagedProcess.freePort();
            iscsiPort = ManagedProcess.freePort();
        }
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nnbd: {port: " + nbdPort + "}\niscsi: {port: "
                + iscsiPort + "}\napi: {port: " + apiPort + "}\ncache: {clusterCache: 64MiB, scoCache: 512MiB}\n");
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort) && ManagedProcess.listening(iscsiPort)
                && Files.exists(dir.resolve("data").resolve("admin.token")));
    }

    private String scoria(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + apiPort, "--token-file",
                dir.resolve("data").resolve("admin.token").toString()));
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return out.toString();
    }

    /** fio's nbd engine writing 4 KiB at random for {@code seconds}, logging IOPS per second. */
    private Process fio(String volume, int seconds) throws IOException {
        return new ProcessBuilder("fio", "--name=" + volume, "--ioengine=nbd",
                "--uri=nbd://127.0.0.1:" + nbdPort + "/" + volume, "--rw=randwrite", "--bs=4k", "--iodepth=16",
                "--size=128M", "--time_based", "--runtime=" + seconds, "--write_iops_log=" + dir.resolve(volume),
                "--log_avg_msec=1000", "--output-format=normal")
                .redirectErrorStream(true).redirectOutput(dir.resolve(volume + ".fio.out").toFile()).start();
    }

    /** fio's per-second write IOPS: element i is the second ending at about (i + 1) s. */
    private List<Long> perSecond(String volume) throws IOException {
        List<Long> v = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(volume + "_iops.1.log"))) {
            String[] f = line.split(",\\s*");
            if (f.length >= 3 && f[2].trim().equals("1")) {
                v.add(Long.parseLong(f[1].trim()));
            }
        }
        return v;
    }

    private static double mean(List<Long> v, int from, int to) {
        return v.subList(from, to).stream().mapToLong(Long::longValue).average().orElseThrow();
    }

    private void finished(Process p, String volume) throws Exception {
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), volume + ": fio did not end");
        String out = Files.readString(dir.resolve(volume + ".fio.out"));
        assertEquals(0, p.exitValue(), out);
        Matcher m = Pattern.compile("err=\\s*(\\d+)").matcher(out);
        assertTrue(m.find() && m.group(1).equals("0"), out);
    }

    @Test
    void aCappedVolumeStaysAtItsCapBesideAnUncappedNeighbourAndFollowsChanges() throws Exception {
        start();
        scoria("volume", "create", "capped", "--size", "256MiB");
        scoria("volume", "create", "free", "--size", "256MiB");
        assertTrue(scoria("volume", "qos", "capped").contains("no QoS caps"));
        // a short burst: a second in which the server was starved of CPU may not be made up by the next
        String set = scoria("volume", "qos", "capped", "--write-iops", "400", "--burst-seconds", "0.1");
        assertTrue(set.contains("write iops 400"), set);

        // 1. capped and uncapped at once, 8 s
        Process capped = fio("capped", 8);
        Process free = fio("free", 8);
        finished(capped, "capped");
        finished(free, "free");
        List<Long> c = perSecond("capped");
        List<Long> f = perSecond("free");
        assertTrue(c.size() >= 7 && f.size() >= 7, c + " / " + f);
        double cappedRate = mean(c, 2, c.size() - 1); // after the burst second, without the partial last one
        double freeRate = mean(f, 2, f.size() - 1);
        System.out.printf("QoS: capped volume %.0f IOPS (cap 400), uncapped neighbour %.0f IOPS%n", cappedRate, freeRate);
        assertTrue(cappedRate >= 360 && cappedRate <= 440, "capped at 400: " + c);
        for (long s : c.subList(2, c.size() - 1)) {
            assertTrue(s <= 440, "a second above the cap: " + c);
        }
        assertTrue(freeRate > 3 * 400, "the uncapped neighbour is held back: " + f);

        // 2. raise the cap while fio runs: the new rate holds from the next second
        scoria("volume", "create", "capped2", "--size", "256MiB");
        scoria("volume", "qos", "capped2", "--write-iops", "400", "--burst-seconds", "0.1");
        long t0 = System.nanoTime();
        Process running = fio("capped2", 12);
        Thread.sleep(6000);
        double changeStart = (System.nanoTime() - t0) / 1e9;
        scoria("volume", "qos", "capped2", "--write-iops", "1000");
        double changedAt = (System.nanoTime() - t0) / 1e9;
        finished(running, "capped2");
        List<Long> r = perSecond("capped2");
        // fio's second i started after t0 + i: the new cap took effect at fio time <= changedAt, and
        // not before fio time changeStart - 1 (fio starts within a second of t0)
        double before = mean(r, 2, (int) Math.floor(changeStart) - 1);
        int change = (int) Math.ceil(changedAt);
        double after = mean(r, change + 1, r.size() - 1);
        System.out.printf("QoS: cap 400 -> 1000 at %.1f s: %.0f IOPS before, %.0f IOPS from the next second; %s%n",
                changedAt, before, after, r);
        assertTrue(before >= 360 && before <= 440, "before the change: " + r);
        assertTrue(after >= 900 && after <= 1100, "after the change: " + r);

        // 3. an iSCSI initiator is held to the same kind of cap (QEMU's iSCSI driver, 4 KiB writes, depth 16)
        scoria("volume", "qos", "capped", "--write-iops", "300", "--burst-seconds", "0.1");
        Command bench = Command.run(120, "qemu-img", "bench", "-f", "raw", "-w", "-c", "1500", "-d", "16", "-s",
                "4096", "iscsi://127.0.0.1:" + iscsiPort + "/iqn.2026-12.io.scoria:capped/0").ok();
        Matcher m = QEMU_BENCH.matcher(bench.output());
        assertTrue(m.find(), bench.output());
        double iscsiRate = 1500 / Double.parseDouble(m.group(1));
        System.out.printf("QoS: iSCSI writes to the capped volume at %.0f IOPS (cap 300)%n", iscsiRate);
        assertTrue(iscsiRate >= 270 && iscsiRate <= 330, bench.output());

        // the waits show per volume in the metrics, for NBD and iSCSI alike
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + apiPort + "/metrics")).header("Authorization", "Bearer "
                + Files.readString(dir.resolve("data").resolve("admin.token")).strip()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(delayed(metrics, "capped") > 0, "the capped volume's waits are counted");
        assertEquals(0, delayed(metrics, "free"), "the uncapped one never waited");

        // 4. the caps are kept across a restart; clearing them works
        serve.close();
        start();
        assertTrue(scoria("volume", "qos", "capped").contains("write iops 300"));
        scoria("volume", "qos", "capped", "--clear");
        assertTrue(scoria("volume", "qos", "capped").contains("no QoS caps"));
    }

    /** {@code scoria_volume_qos_delayed_total} of {@code volume} in a scrape (-1 when absent). */
    private static double delayed(String metrics, String volume) {
        Matcher m = java.util.regex.Pattern.compile("(?m)^scoria_volume_qos_delayed_total\\{volume=\"" + volume
                + "\"\\} (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
