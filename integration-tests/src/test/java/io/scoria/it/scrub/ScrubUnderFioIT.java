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
 * verifies the header and CRC of every 4 KiB block of the volume after the obsolete objects
 * were deleted (grace period 2 s). A second test kills the router during a (slowly) paced apply.
 */
class ScrubUnderFioIT {
    private static final String VOLUME = "scrubfio";
    /** Volume size of the test under fio. */
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
    /** The router's {@code scrub:} section; the tests set {@code poll: 10m} so that only their API calls apply results. */
    private String routerScrubYaml;
    private long size;
    private final long t0 = System.nanoTime();

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

    private void phase(String what) {
        System.out.printf("ScrubUnderFioIT t=%.1fs: %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private void startRouter() throws IOException {
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\n"
                + "nbd: {port: " + nbdPort + "}\n" + "iscsi: {port: 0}\n"
                + "api: {port: " + apiPort + "}\n"
                + "backend: " + backendYaml() + "\n"
                + "cache: {clusterCache: 16MiB, scoCache: 256MiB}\n"
                + "volumes: {scoSize: 1MiB}\n"
                + "scrub: " + routerScrubYaml + "\n");
        router = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        cleanup.add(router::kill9);
        router.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort));
    }

    /** A request to the router's REST API with its admin token. */
    private HttpRequest.Builder request(String path) throws IOException {
        String token = Files.readString(dir.resolve("data").resolve("admin.token")).strip();
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(120));
    }

    private HttpResponse<String> api(String method, String path, String json) throws Exception {
        HttpRequest.Builder b = request(path);
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
                "--uri=nbd://127.0.0.1:" + nbdPort + "/" + VOLUME, "--size=" + size, "--verify=crc32c",
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

    /**
     * s3proxy and the router; a volume of {@code size} bytes filled by fio, snapshot s1, 70% of
     * its first half's blocks overwritten, snapshot s2, s1 deleted, s2 on the backend.
     *
     * @return the volume's namespace
     */
    private String scrubbableVolume(long bytes, String scrubYaml) throws Exception {
        size = bytes;
        routerScrubYaml = scrubYaml;
        s3 = S3ProxyServer.start("scrubfio");
        cleanup.add(s3);
        startRouter();
        phase("router up");
        String created = apiOk("POST", "/v1/volumes", "{\"name\":\"" + VOLUME + "\",\"size\":\"" + size + "\"}");
        Matcher nsMatch = Pattern.compile("\"namespace\"\\s*:\\s*\"([^\"]+)\"").matcher(created);
        assertTrue(nsMatch.find(), created);
        runFio("fill", "--rw=write", "--bs=64k", "--iodepth=8", "--do_verify=0");
        apiOk("POST", "/v1/volumes/" + VOLUME + "/snapshots", "{\"name\":\"s1\"}");
        runFio("overwrite", overwrite());
        apiOk("POST", "/v1/volumes/" + VOLUME + "/snapshots", "{\"name\":\"s2\"}");
        apiOk("DELETE", "/v1/volumes/" + VOLUME + "/snapshots/s1", null);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!snapshotOnBackend("s2") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(snapshotOnBackend("s2"), "snapshot s2 reached the backend");
        phase("volume written, snapshot s2 on the backend");
        return nsMatch.group(1);
    }

    /** The partial overwrite of the first half. */
    private String[] overwrite() {
        return new String[]{"--rw=randwrite", "--bs=4k", "--iodepth=16", "--offset=0", "--size=" + size / 2,
                "--io_size=" + (size / 2) * 7 / 10, "--randseed=2", "--do_verify=0"};
    }

    /** Runs {@code ./scoria scrub run} for {@code ns} as its own JVM; returns how long it took. */
    private long scrub(String ns) throws Exception {
        Path scrubCfg = dir.resolve("scrub.yaml");
        Files.writeString(scrubCfg, "backend: " + backendYaml() + "\n");
        long scrubStart = System.nanoTime();
        try (ManagedProcess scrub = ManagedProcess.start("scrub", List.of(repo.resolve("scoria").toString(), "scrub", "run",
                "--config", scrubCfg.toString(), "--namespace", ns, "--scratch", dir.resolve("scratch").toString()),
                dir, dir.resolve("scrub.log"))) {
            assertTrue(scrub.process().waitFor(120, TimeUnit.SECONDS), "scrub finished: " + scrub.logTail(20));
            assertEquals(0, scrub.process().exitValue(), scrub.logTail(30));
        }
        phase("scrub done");
        return (System.nanoTime() - scrubStart) / 1_000_000;
    }

    private void awaitCleanUp(S3ObjectStore store, String ns) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!store.listAll(ns, "scrub/result/").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(store.listAll(ns, "scrub/result/").isEmpty(), "the router cleaned up after the 2 s grace period: "
                + router.logTail(20));
        phase("obsolete objects deleted");
    }

    private S3ObjectStore store() {
        S3ObjectStore store = new S3ObjectStore(S3StoreConfig.of(s3.endpoint(), S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY).withConditionalPut(true));
        cleanup.add(store);
        return store;
    }

    private static int relocated(String outcome) {
        Matcher m = Pattern.compile("\"relocated\"\\s*:\\s*(\\d+)").matcher(outcome);
        assertTrue(m.find(), outcome);
        return Integer.parseInt(m.group(1));
    }

    private static String status(String outcome) {
        Matcher m = Pattern.compile("\"status\"\\s*:\\s*\"([^\"]+)\"").matcher(outcome);
        assertTrue(m.find(), outcome);
        return m.group(1);
    }

    @Test
    void fioVerifiesWithZeroMismatchesWhileTheScrubRunsAndItsResultIsApplied() throws Exception {
        String ns = scrubbableVolume(SIZE, "{poll: 10m, grace: 2s}");
        S3ObjectStore store = store();
        long scoBytesBefore = store.listAll(ns, "sco/").stream().mapToLong(ObjectInfo::size).sum();

        // one fio job writes (and at its end verifies) through the scrub and the apply; without a random map
        // a block can be written twice, and serialize_overlap keeps two writes of one block from being in flight
        // together (NBD does not order those, so fio's check of the newer one could fail without any fault)
        ManagedProcess concurrent = startFio("concurrent", "--rw=randwrite", "--bs=4k", "--iodepth=4", "--norandommap",
                "--serialize_overlap=1", "--randseed=3", "--io_size=" + CONCURRENT_BYTES, "--rate_iops=" + RATE_IOPS, "--do_verify=1");
        Thread.sleep(1000);
        long scrubMillis = scrub(ns);
        assertTrue(concurrent.isAlive(), "fio was still writing when the scrub ended");
        String outcome = apiOk("POST", "/v1/volumes/" + VOLUME + "/scrub-results", null);
        assertTrue(concurrent.isAlive(), "fio was still writing when the apply ended (scrub took " + scrubMillis
                + " ms; make the concurrent job longer if this fails): " + outcome);
        phase("applied: " + outcome);
        assertEquals("applied", status(outcome), outcome);
        int moved = relocated(outcome);
        // about 30% of the first half's 16,384 blocks are live in the rewritten SCOs; fio's concurrent writes win some
        assertTrue(moved > 100, "the apply relocated live clusters: " + outcome);

        String out = fioResult(concurrent, 180);
        assertTrue(out.contains("read:"), "fio's verify pass read back what it wrote:\n" + out);
        phase("concurrent fio job verified");
        awaitCleanUp(store, ns);
        runFio("verify-all", "--rw=read", "--bs=4k", "--iodepth=16", "--do_verify=1");
        long scoBytesAfter = store.listAll(ns, "sco/").stream().mapToLong(ObjectInfo::size).sum();
        System.out.printf("scrub under fio: scrub %d ms, %d LBAs relocated during fio writes; backend SCO bytes %d before"
                + " the scrub, %d after the clean-up (fio wrote %d bytes meanwhile)%n", scrubMillis, moved, scoBytesBefore,
                scoBytesAfter, CONCURRENT_BYTES);
        phase("verified");
    }

    /**
     * {@code kill -9} of the router in the middle of a slowly paced apply (duty cycle 0.002), then
     * a restart on the same data directory: applying the result again finishes it ("applied" if
     * the kill came before the manifest swap, "already-applied" after), the obsolete objects are
     * deleted, and fio verifies the header (offset) and CRC of every block: an LBA left pointing
     * into a deleted SCO, or at the wrong data, fails it.
     */
    @Test
    void routerKilledDuringAPacedApplyFinishesItAfterRestart() throws Exception {
        String ns = scrubbableVolume(64L << 20, "{poll: 10m, grace: 2s, applyDutyCycle: 0.002, applyBatch: 16}");
        S3ObjectStore store = store();
        scrub(ns);
        var pending = http.sendAsync(request("/v1/volumes/" + VOLUME + "/scrub-results")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(1500);
        assertFalse(pending.isDone(), "the paced apply was still running when the router was killed: "
                + (pending.isDone() ? pending.join().body() : ""));
        router.kill9();
        phase("router killed during the apply");
        startRouter();
        String outcome = apiOk("POST", "/v1/volumes/" + VOLUME + "/scrub-results", null);
        phase("applied after restart: " + outcome);
        String status = status(outcome);
        assertTrue(status.equals("applied") || status.equals("already-applied"), outcome);
        awaitCleanUp(store, ns);
        runFio("verify-all", "--rw=read", "--bs=4k", "--iodepth=16", "--do_verify=1");
        phase("verified");
    }
}
