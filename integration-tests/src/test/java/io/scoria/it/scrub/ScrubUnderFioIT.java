package io.scoria.it.scrub;

import io.scoria.backend.ObjectInfo;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The "writes continue during the scrub and during apply (fio verify running): zero
 * mismatches", with real processes only: s3proxy, {@code scoria serve} on it, fio over NBD
 * ({@code --ioengine=nbd}, {@code --verify=crc32c}), the scrub job as its own JVM
 * ({@code ./scoria scrub run}) and the apply through the REST API.
 *
 * <p>fio fills the volume (64 KiB writes, a verify header every 4 KiB), snapshot s1; overwrites
 * about 70% of the first half's 4 KiB blocks, snapshot s2; s1 is deleted, so the SCOs of the first
 * fill in the first half are about 30% live and the scrub rewrites them, relocating their live
 * clusters. Then one fio job writes 4 KiB blocks at random over the whole volume, rate-limited
 * so it runs through the scrub and the apply (asserted), and verifies everything it wrote at
 * its end (fio checks each block's header, CRC and that it is the job's latest write of that
 * block, so a relocation that overwrote a newer write would be caught). A final fio read pass
 * verifies the header and CRC of every 4 KiB block of the volume, also after a
 * {@code kill -9} of the router and a restart on the same data directory.
 */
class ScrubUnderFioIT {
    private static final String VOLUME = "scrubfio";
    private static final long SIZE = 128L << 20;
    /** Random 4 KiB writes per second of the job that runs during the scrub and the apply. */
    private static final int RATE_IOPS = 1500;
    /** That job's length: about 30 s at the rate above, comfortably longer than scrub plus apply. */
    private static final long CONCURRENT_BYTES = 4096L * RATE_IOPS * 30;

    @TempDir
    Path dir;
    private final Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
    private final HttpClient http = HttpClient.newHttpClient();
    private final int nbdPort = ManagedProcess.freePort();
    private final int apiPort = ManagedProcess.freePort();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private S3ProxyServer s3;
    private ManagedProcess router;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private String backendYaml() {
        return "{type: s3, s3: {endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY
                + ", secretKey: " + S3ProxyServer.SECRET_KEY + ", conditionalPut: true}}";
    }

    private void startRouter() throws IOException {
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\n"
                + "nbd: {port: " + nbdPort + "}\n"
                + "api: {port: " + apiPort + "}\n"
                + "backend: " + backendYaml() + "\n"
                + "cache: {clusterCache: 16MiB, scoCache: 256MiB}\n"
                + "volumes: {scoSize: 1MiB}\n");
        router = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        cleanup.add(router::kill9);
        router.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort));
    }

    private HttpResponse<String> api(String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                .timeout(Duration.ofSeconds(120));
        b = json == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String apiOk(String method, String path, String json) throws Exception {
        HttpResponse<String> r = api(method, path, json);
        assertTrue(r.statusCode() / 100 == 2, method + " " + path + ": HTTP " + r.statusCode() + " " + r.body()
                + "\n" + router.logTail(20));
        return r.body();
    }

    /** fio over NBD on the volume with crc32c verify headers every 4 KiB; the caller adds the workload. */
    private List<String> fio(String name, String... workload) {
        List<String> argv = new ArrayList<>(List.of("fio", "--name=" + name, "--ioengine=nbd",
                "--uri=nbd://127.0.0.1:" + nbdPort + "/" + VOLUME, "--size=" + SIZE, "--verify=crc32c",
                "--verify_interval=4k", "--verify_fatal=1", "--verify_state_save=0", "--output-format=normal"));
        argv.addAll(List.of(workload));
        return argv;
    }

    private ManagedProcess startFio(String name, String... workload) throws IOException {
        ManagedProcess p = ManagedProcess.start("fio-" + name, fio(name, workload), dir, dir.resolve("fio-" + name + ".log"));
        cleanup.add(p);
        return p;
    }

    /** Waits for a fio run and returns its output; fails on a non-zero exit, an error or a verify complaint. */
    private static String fioResult(ManagedProcess p, long timeoutSeconds) throws Exception {
        assertTrue(p.process().waitFor(timeoutSeconds, TimeUnit.SECONDS), "fio finished: " + p.logTail(20));
        String out = Files.readString(p.log());
        assertEquals(0, p.process().exitValue(), out);
        assertFalse(out.contains("verify:"), "fio found mismatches:\n" + out);
        Matcher m = Pattern.compile("err=\\s*(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        assertEquals("0", m.group(1), out);
        return out;
    }

    private String runFio(String name, String... workload) throws Exception {
        return fioResult(startFio(name, workload), 300);
    }

    private boolean snapshotOnBackend(String snapshot) throws Exception {
        String body = apiOk("GET", "/v1/volumes/" + VOLUME + "/snapshots/" + snapshot, null);
        return body.replace(" ", "").contains("\"onBackend\":true");
    }

    @Test
    void fioVerifiesWithZeroMismatchesWhileTheScrubRunsAndItsResultIsApplied() throws Exception {
        s3 = S3ProxyServer.start("scrubfio");
        cleanup.add(s3);
        S3ObjectStore store = new S3ObjectStore(S3StoreConfig.of(s3.endpoint(), S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY).withConditionalPut(true));
        cleanup.add(store);
        startRouter();
        String created = apiOk("POST", "/v1/volumes", "{\"name\":\"" + VOLUME + "\",\"size\":\"128MiB\"}");
        Matcher nsMatch = Pattern.compile("\"namespace\"\\s*:\\s*\"([^\"]+)\"").matcher(created);
        assertTrue(nsMatch.find(), created);
        String ns = nsMatch.group(1);

        runFio("fill", "--rw=write", "--bs=64k", "--iodepth=8", "--do_verify=0");
        apiOk("POST", "/v1/volumes/" + VOLUME + "/snapshots", "{\"name\":\"s1\"}");
        runFio("overwrite", "--rw=randwrite", "--bs=4k", "--iodepth=16", "--offset=0", "--size=" + SIZE / 2,
                "--io_size=" + (SIZE / 2) * 7 / 10, "--randseed=2", "--do_verify=0");
        apiOk("POST", "/v1/volumes/" + VOLUME + "/snapshots", "{\"name\":\"s2\"}");
        apiOk("DELETE", "/v1/volumes/" + VOLUME + "/snapshots/s1", null);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!snapshotOnBackend("s2") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(snapshotOnBackend("s2"), "snapshot s2 reached the backend");
        long scoBytesBefore = store.listAll(ns, "sco/").stream().mapToLong(ObjectInfo::size).sum();

        // one fio job writes (and at its end verifies) through the scrub and the apply
        ManagedProcess concurrent = startFio("concurrent", "--rw=randwrite", "--bs=4k", "--iodepth=4", "--norandommap",
                "--randseed=3", "--io_size=" + CONCURRENT_BYTES, "--rate_iops=" + RATE_IOPS, "--do_verify=1");
        Thread.sleep(1000);
        Path scrubCfg = dir.resolve("scrub.yaml");
        Files.writeString(scrubCfg, "backend: " + backendYaml() + "\n");
        long scrubStart = System.nanoTime();
        try (ManagedProcess scrub = ManagedProcess.start("scrub", List.of(repo.resolve("scoria").toString(), "scrub", "run",
                "--config", scrubCfg.toString(), "--namespace", ns, "--scratch", dir.resolve("scratch").toString()),
                dir, dir.resolve("scrub.log"))) {
            assertTrue(scrub.process().waitFor(120, TimeUnit.SECONDS), "scrub finished: " + scrub.logTail(20));
            assertEquals(0, scrub.process().exitValue(), scrub.logTail(30));
        }
        long scrubMillis = (System.nanoTime() - scrubStart) / 1_000_000;
        assertTrue(concurrent.isAlive(), "fio was still writing when the scrub ended");
        String outcome = apiOk("POST", "/v1/volumes/" + VOLUME + "/scrub-results", null);
        assertTrue(concurrent.isAlive(), "fio was still writing when the apply ended (scrub took " + scrubMillis
                + " ms; make the concurrent job longer if this fails): " + outcome);
        assertTrue(Pattern.compile("\"status\"\\s*:\\s*\"applied\"").matcher(outcome).find(), outcome);
        Matcher relocated = Pattern.compile("\"relocated\"\\s*:\\s*(\\d+)").matcher(outcome);
        assertTrue(relocated.find(), outcome);
        int moved = Integer.parseInt(relocated.group(1));
        // about 30% of the first half's 16,384 blocks are live in the rewritten SCOs; fio's concurrent writes win some
        assertTrue(moved > 1000, "the apply relocated live clusters: " + outcome);

        String out = fioResult(concurrent, 180);
        assertTrue(out.contains("read:"), "fio's verify pass read back what it wrote:\n" + out);
        runFio("verify-all", "--rw=read", "--bs=4k", "--iodepth=16", "--do_verify=1");
        System.out.printf("scrub under fio: scrub %d ms, %d LBAs relocated during fio writes, backend SCO bytes before %d%n",
                scrubMillis, moved, scoBytesBefore);

        router.kill9();
        startRouter();
        runFio("verify-after-restart", "--rw=read", "--bs=4k", "--iodepth=16", "--do_verify=1");
    }
}
