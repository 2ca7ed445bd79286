package io.scoria.it.replication;

import io.scoria.backend.ObjectStore;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.replication.TwoSites.Router;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The disaster: site A (a {@code scoria serve} on its s3proxy) takes fio verify writes in
 * rounds, each round its own 1 MiB region followed by a snapshot {@code r<i>} as its marker, while
 * {@code scoria-replicate run} ships continuously to site B. Site A's router and its s3proxy are
 * killed with SIGKILL in the middle of a round; the job survives the lost source; its last
 * reported point ({@code manifest generation G shipped as N}) is the replica's newest manifest,
 * and every round whose marker that manifest names is checked block by block on B with
 * {@code fio --verify_only} after promote. B takes 4 MiB of new writes; A comes back (its s3proxy
 * on its data directory, its router on its crashed state, publishing what it still held), fails
 * back, and serves B's data; the bytes shipped back are those written on B, within 10%.
 */
class DisasterRecoveryIT {
    private static final long ROUND = 1 << 20;
    private static final int MAX_ROUNDS = 48;
    private static final int SHIPPED_BEFORE_KILL = 4;
    private static final long B_OFFSET = 56L << 20;
    private static final long B_BYTES = 4L << 20;
    private static final Pattern SHIPPED_AS = Pattern.compile("vm1: manifest generation (\\d+) shipped as (\\d+)");
    private static final Pattern BYTES_BACK = Pattern.compile("shipped (\\d+) TLogs, (\\d+) bytes back");

    @TempDir
    Path dir;

    private TwoSites sites;
    private final ExecutorService writer = Executors.newSingleThreadExecutor();

    @BeforeEach
    void setUp() {
        sites = new TwoSites(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.shutdownNow();
        sites.close();
    }

    private static List<String> rounds(VolumeManifest m) {
        return m.snapshots().stream().map(VolumeManifest.Snapshot::name).filter(n -> n.matches("r\\d+")).toList();
    }

    private static List<String> shippedRounds(ObjectStore b) {
        return b.namespaceExists("vm1") ? new VolumeManifestStore(b).readLatest("vm1").map(DisasterRecoveryIT::rounds).orElse(List.of())
                : List.of();
    }

    private void snapshot(Router r, String name) throws Exception {
        HttpResponse<String> s = sites.api(r, "POST", "/v1/volumes/vm1/snapshots", "{\"name\":\"" + name + "\"}");
        assertEquals(201, s.statusCode(), s.body());
    }

    private static boolean hasSnapshot(ObjectStore store, String name) {
        return new VolumeManifestStore(store).readLatest("vm1").map(m -> m.snapshot(name) != null).orElse(false);
    }

    /** Per-volume sample {@code family{volume="vm1"}} of a Prometheus scrape. */
    private static double sample(String metrics, String family) {
        Matcher m = Pattern.compile("(?m)^" + family + "\\{volume=\"vm1\"} (\\S+)$").matcher(metrics);
        assertTrue(m.find(), family + " in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    private static long[] objectsAndBytes(ObjectStore store) {
        long[] sum = new long[2];
        for (String prefix : List.of(NamespaceLayout.SCO_PREFIX, NamespaceLayout.TLOG_PREFIX)) {
            store.listAll("vm1", prefix).forEach(o -> {
                sum[0]++;
                sum[1] += o.size();
            });
        }
        return sum;
    }

    @Test
    void shippedWritesSurviveTheLossOfSiteAAndFailBackShipsOnlyBsWrites() throws Exception {
        long started = System.nanoTime();
        S3ProxyServer siteA = sites.site("dr-a");
        S3ProxyServer siteB = sites.site("dr-b");
        ObjectStore a = sites.store(siteA);
        ObjectStore b = sites.store(siteB);
        Path cfg = sites.replConfig(siteA, siteB, "parallelism: 2, pollInterval: 1s");

        Router routerA = sites.serve("a-data", siteA);
        sites.createVolume(routerA, "vm1", "64MiB");
        int metricsPort = ManagedProcess.freePort();
        ManagedProcess job = sites.replicate("repl-dr", "run", "--config", cfg.toString(), "--progress", "never",
                "--metrics-port", Integer.toString(metricsPort));

        // rounds of fio verify writes on A, each followed by its marker snapshot, while the job ships
        AtomicInteger completed = new AtomicInteger();
        Router writingTo = routerA;
        Future<String> rounds = writer.submit(() -> {
            for (int i = 0; i < MAX_ROUNDS; i++) {
                try {
                    TwoSites.fioOk(writingTo, "vm1", i * ROUND, ROUND, false);
                    snapshot(writingTo, "r" + i);
                } catch (Exception | AssertionError e) {
                    return "round " + i + " ended by: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                }
                completed.incrementAndGet();
            }
            return "all rounds written";
        });
        TwoSites.await(Duration.ofSeconds(150), SHIPPED_BEFORE_KILL + " rounds are shipped and A is a round ahead", () -> {
            int shipped = shippedRounds(b).size();
            assertTrue(!rounds.isDone(), "the writer stopped: " + (rounds.isDone() ? rounds.get() : ""));
            return shipped >= SHIPPED_BEFORE_KILL && completed.get() > shipped;
        });

        // site A is lost: its router and its backend, SIGKILL, in the middle of a round
        routerA.process().kill9();
        siteA.kill9();
        String writerEnd = rounds.get(60, TimeUnit.SECONDS);
        int writtenOnA = completed.get(); // rounds whose marker snapshot A acknowledged
        TwoSites.await(Duration.ofSeconds(60), "the job finds its source gone", () -> Files.readString(job.log()).contains("pass failed, retrying"));
        assertTrue(job.isAlive(), "the job outlives its source: " + job.logTail(20));
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        job.close();
        String jobLog = Files.readString(job.log());
        long[] onB = objectsAndBytes(b);
        assertEquals(onB[0], (long) sample(metrics, "scoria_replication_volume_objects_shipped_total"), metrics);
        assertEquals(onB[1], (long) sample(metrics, "scoria_replication_volume_bytes_shipped_total"), metrics);
        assertEquals(0, sample(metrics, "scoria_replication_volume_stopped"), metrics);
        assertTrue(sample(metrics, "scoria_replication_volume_errors_total") >= 1, "passes that met the lost source: " + metrics);

        // the job's last report is the replica's point; every round it names is there, in order
        Matcher reported = SHIPPED_AS.matcher(jobLog);
        long lastReported = -1;
        while (reported.find()) {
            lastReported = Long.parseLong(reported.group(2));
        }
        VolumeManifest replica = new VolumeManifestStore(b).readLatest("vm1").orElseThrow();
        assertEquals(lastReported, replica.generation(), "the job reported the replica's newest manifest: " + jobLog);
        List<String> shipped = rounds(replica);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < shipped.size(); i++) {
            expected.add("r" + i);
        }
        assertEquals(expected, shipped, "the replica holds a prefix of the rounds");
        assertTrue(shipped.size() >= SHIPPED_BEFORE_KILL && shipped.size() < writtenOnA + 1, shipped + " of " + writtenOnA);

        long promoteStart = System.nanoTime();
        String promoted = TwoSites.finish(sites.replicate("repl-promote", "promote", "vm1", "--config", cfg.toString()), 0);
        double promoteSeconds = (System.nanoTime() - promoteStart) / 1e9;
        assertTrue(promoted.contains("promoted vm1"), promoted);
        Router routerB = sites.serve("b-data", siteB);
        for (int i = 0; i < shipped.size(); i++) {
            TwoSites.fioOk(routerB, "vm1", i * ROUND, ROUND, true);
        }
        TwoSites.fioOk(routerB, "vm1", B_OFFSET, B_BYTES, false);
        snapshot(routerB, "b1");
        TwoSites.await(Duration.ofSeconds(60), "B's writes are on B's backend", () -> hasSnapshot(b, "b1"));
        routerB.close();

        // A comes back on its data: its router recovers its crashed state and publishes what it held
        siteA.start();
        routerA = sites.serve("a-data", siteA);
        snapshot(routerA, "a-after");
        TwoSites.await(Duration.ofSeconds(60), "A's own late writes are on A's backend", () -> hasSnapshot(a, "a-after"));
        routerA.close();

        String back = TwoSites.finish(sites.replicate("repl-failback", "failback", "vm1", "--config", cfg.toString()), 0);
        Matcher m = BYTES_BACK.matcher(back);
        assertTrue(m.find(), back);
        long bytesBack = Long.parseLong(m.group(2));
        assertTrue(Math.abs(bytesBack - B_BYTES) <= B_BYTES / 10, "bytes shipped back " + bytesBack + " for " + B_BYTES
                + " written on B:\n" + back);
        assertTrue(back.contains("kept as volume 'vm1-diverged-"), back);

        // A serves B's data: its router, restarted on its stale local state, rebuilds vm1 from A's backend
        routerA = sites.serve("a-data", siteA);
        VolumeManifest onA = new VolumeManifestStore(a).readLatest("vm1").orElseThrow();
        assertEquals(replica.allTlogs(), onA.allTlogs().subList(0, replica.allTlogs().size()));
        assertTrue(onA.snapshot("a-after") == null && onA.snapshot("b1") != null, onA.snapshots().toString());
        for (int i = 0; i < shipped.size(); i++) {
            TwoSites.fioOk(routerA, "vm1", i * ROUND, ROUND, true);
        }
        TwoSites.fioOk(routerA, "vm1", B_OFFSET, B_BYTES, true);
        routerA.close();
        System.out.printf(Locale.ROOT, "DR figures: %d rounds of %d KiB written on A, %d shipped when A was lost (writer: %s); "
                        + "promote %.1f s (job's own report: %s); %s TLogs and %d bytes shipped back for %d bytes written on B "
                        + "(%+.1f %%); test %.0f s%n", writtenOnA, ROUND >> 10, shipped.size(), writerEnd, promoteSeconds,
                promoted.lines().filter(l -> l.contains("promoted")).findFirst().orElse(""), m.group(1), bytesBack, B_BYTES,
                100.0 * (bytesBack - B_BYTES) / B_BYTES, (System.nanoTime() - started) / 1e9);
    }
}
