package io.scoria.it.replication;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.nbd.Command;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.AfterEach;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Disaster recovery between two sites, each an s3proxy: a real {@code scoria serve} on site A
 * writes over NBD (qemu-io), {@code scoria-replicate} (its own JVM, from its jar) ships the volume
 * to site B, is killed with SIGKILL in the middle and re-run (nothing shipped twice, the replica
 * verifies), site A is lost after writing more, the replica is promoted and served by a router on
 * site B that reads every shipped byte and writes; then fail-back ships B's writes to A, whose
 * diverged writes are kept as a volume of their own, and a router on A serves B's data.
 */
class ReplicationIT {
    private static final Pattern SHIPPED = Pattern.compile("shipped \\S+:vm1/(\\S+) \\((\\d+) bytes\\)");

    @TempDir
    Path dir;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
    private int nbdPort;
    private int apiPort;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private static String backend(S3ProxyServer s3) {
        return "{type: s3, s3: {endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY
                + ", secretKey: " + S3ProxyServer.SECRET_KEY + ", conditionalPut: true}}";
    }

    private S3ProxyServer site(String name) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.start(name);
        cleanup.add(s3);
        return s3;
    }

    private ObjectStore store(S3ProxyServer s3) {
        ObjectStore store = new S3ObjectStore(S3StoreConfig.of(s3.endpoint(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)
                .withConditionalPut(true));
        cleanup.add(store);
        return store;
    }

    private ManagedProcess serve(String name, S3ProxyServer s3) throws Exception {
        nbdPort = ManagedProcess.freePort();
        apiPort = ManagedProcess.freePort();
        Path cfg = dir.resolve(name + ".yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve(name) + "\nnbd: {port: " + nbdPort + "}\napi: {port: " + apiPort
                + "}\nbackend: " + backend(s3) + "\ncache: {clusterCache: 16MiB, scoCache: 128MiB}\nvolumes: {scoSize: 1MiB}\n");
        ManagedProcess p = ManagedProcess.start("serve-" + name, List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve(name + ".log"));
        cleanup.add(p);
        p.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort) && ManagedProcess.listening(nbdPort));
        return p;
    }

    private void createVolume(String dataDir, String name, String size) throws Exception {
        String token = Files.readString(dir.resolve(dataDir).resolve("admin.token")).strip();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/volumes"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"size\":\"" + size + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
    }

    private String qemuIo(String export, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", "nbd://127.0.0.1:" + nbdPort + "/" + export));
        for (String c : commands) {
            cmd.addAll(List.of("-c", c));
        }
        String out = Command.run(120, cmd.toArray(new String[0])).ok().output();
        assertFalse(out.contains("Pattern verification failed") || out.contains("failed"), export + ": " + out);
        return out;
    }

    private Path replConfig(S3ProxyServer a, S3ProxyServer b) throws Exception {
        Path f = dir.resolve("repl.yaml");
        Files.writeString(f, "source: " + backend(a) + "\ntarget: " + backend(b) + "\nreplication: {parallelism: 2}\n");
        return f;
    }

    private ManagedProcess replicate(String name, String... args) throws Exception {
        Path jar = repo.resolve("replicator").resolve("target").resolve("scoria-replicate.jar");
        assertTrue(Files.isRegularFile(jar), "scoria-replicate.jar is built by the replicator module: " + jar);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        ManagedProcess p = ManagedProcess.start(name, cmd, dir, dir.resolve(name + ".log"));
        cleanup.add(p);
        return p;
    }

    private String finish(ManagedProcess p, int expectedCode) throws Exception {
        assertTrue(p.process().waitFor(180, TimeUnit.SECONDS), p.logTail(20));
        String log = Files.readString(p.log());
        assertEquals(expectedCode, p.process().exitValue(), log);
        return log;
    }

    private static List<String> shippedKeys(String log) {
        List<String> keys = new ArrayList<>();
        Matcher m = SHIPPED.matcher(log);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    private static Set<String> objectKeys(ObjectStore store, String ns) {
        Set<String> keys = new TreeSet<>();
        store.listAll(ns, NamespaceLayout.SCO_PREFIX).forEach(o -> keys.add(o.key()));
        store.listAll(ns, NamespaceLayout.TLOG_PREFIX).forEach(o -> keys.add(o.key()));
        return keys;
    }

    @Test
    void replicatePromoteAndFailBackBetweenTwoS3Sites() throws Exception {
        S3ProxyServer siteA = site("site-a");
        S3ProxyServer siteB = site("site-b");
        ObjectStore a = store(siteA);
        ObjectStore b = store(siteB);
        Path cfg = replConfig(siteA, siteB);

        ManagedProcess routerA = serve("a-data", siteA);
        createVolume("a-data", "vm1", "64MiB");
        qemuIo("vm1", "write -P 0x11 0 16M", "write -P 0x22 20M 8M");
        // a pass while the router on A is writing: ships whatever A's backend manifest names
        finish(replicate("repl-live", "run", "--config", cfg.toString(), "--once"), 0);
        qemuIo("vm1", "write -P 0x33 32M 8M", "write -P 0x44 1M 512k");
        routerA.close();
        VolumeManifest onA = new VolumeManifestStore(a).readLatest("vm1").orElseThrow();

        // kill -9 of the job in the middle of shipping, then a re-run: nothing twice, nothing partial
        ManagedProcess killed = replicate("repl-killed", "run", "--config", cfg.toString(), "--once", "--bandwidth-limit", "2MiB");
        killed.awaitReady(Duration.ofSeconds(60), () -> {
            try {
                return shippedKeys(Files.readString(killed.log())).size() >= 2;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        assertTrue(killed.isAlive(), "still shipping at 2 MiB/s: " + killed.logTail(10));
        killed.kill9();
        List<String> first = shippedKeys(Files.readString(killed.log()));
        String rerun = finish(replicate("repl-rerun", "run", "--config", cfg.toString(), "--once"), 0);
        List<String> second = shippedKeys(rerun);
        List<String> live = shippedKeys(Files.readString(dir.resolve("repl-live.log")));
        List<String> all = new ArrayList<>(live);
        all.addAll(first);
        all.addAll(second);
        assertFalse(first.isEmpty() || second.isEmpty(), "the kill came in the middle: " + first.size() + " then " + second.size() + "\n" + killed.logTail(30));
        Set<String> distinct = new HashSet<>(all);
        assertEquals(distinct.size(), all.size(), "no object shipped twice: " + all);
        Set<String> onTarget = objectKeys(b, "vm1");
        Set<String> unlogged = new TreeSet<>(onTarget);
        unlogged.removeAll(distinct);
        assertTrue(unlogged.size() <= 2, "only puts in flight at the kill are unlogged: " + unlogged);
        assertEquals(onA.allTlogs(), new VolumeManifestStore(b).readLatest("vm1").orElseThrow().allTlogs());
        String verify = finish(replicate("repl-verify", "verify", "--config", cfg.toString()), 0);
        assertTrue(verify.contains("verify vm1") && verify.contains(": OK"), verify);

        // site A writes on after the last shipped point, then is lost
        routerA = serve("a-data", siteA);
        qemuIo("vm1", "write -P 0x55 50M 1M");
        routerA.close();
        siteA.kill9();

        String promoted = finish(replicate("repl-promote", "promote", "vm1", "--config", cfg.toString()), 0);
        assertTrue(promoted.contains("promoted vm1"), promoted);
        ManagedProcess routerB = serve("b-data", siteB);
        qemuIo("vm1", "read -P 0x11 0 1M", "read -P 0x11 1536k 14848k", "read -P 0x22 20M 8M", "read -P 0x33 32M 8M",
                "read -P 0x44 1M 512k",
                "read -P 0 50M 1M");
        qemuIo("vm1", "write -P 0x66 8M 4M");
        routerB.close();

        siteA.start();
        String back = finish(replicate("repl-failback", "failback", "vm1", "--config", cfg.toString()), 0);
        Matcher m = Pattern.compile("shipped (\\d+) TLogs, (\\d+) bytes back").matcher(back);
        assertTrue(m.find(), back);
        long bytesBack = Long.parseLong(m.group(2));
        long written = 4L << 20;
        assertTrue(bytesBack >= written && bytesBack <= written * 1.1, "bytes shipped back " + bytesBack + " for "
                + written + " written on B");
        assertTrue(back.contains("kept as volume 'vm1-diverged-2'"), back);

        // A serves B's data (its router's local state of vm1 is gone with its data dir), and keeps its own writes apart
        routerA = serve("a-data-2", siteA);
        qemuIo("vm1", "read -P 0x66 8M 4M", "read -P 0x11 0 1M", "read -P 0x44 1M 512k", "read -P 0x11 2M 6M",
                "read -P 0x22 20M 8M", "read -P 0 50M 1M");
        qemuIo("vm1-diverged-2", "read -P 0x55 50M 1M", "read -P 0x11 12M 4M");
        routerA.close();
        String resumed = finish(replicate("repl-after", "run", "--config", cfg.toString(), "--once"), 0);
        assertTrue(resumed.contains("scoria-replicate: "), resumed);
    }

    @Test
    void aCorruptSourceObjectAndAForeignVolumeOnTheTargetAreRefusedNamingThem() throws Exception {
        S3ProxyServer siteA = site("bad-a");
        S3ProxyServer siteB = site("bad-b");
        ObjectStore a = store(siteA);
        ObjectStore b = store(siteB);
        VolumeHistory good = new VolumeHistory(a, "vm1", 512, 4096, 64 * 1024, VolumeHistory.tempDir());
        VolumeHistory bad = new VolumeHistory(a, "vm2", 512, 4096, 64 * 1024, VolumeHistory.tempDir());
        new VolumeHistory(b, "vm3", 512, 4096, 64 * 1024, VolumeHistory.tempDir());
        VolumeHistory other = new VolumeHistory(a, "vm3", 512, 4096, 64 * 1024, VolumeHistory.tempDir());
        byte[] cluster = new byte[4096];
        for (VolumeHistory v : List.of(good, bad, other)) {
            for (int s = 0; s < 3; s++) {
                for (long lba = 0; lba < 40; lba++) {
                    java.util.Arrays.fill(cluster, (byte) (lba + s));
                    v.write(lba, cluster);
                }
                v.snapshot("s" + s);
            }
        }
        // 40 clusters per snapshot in SCOs of 16 clusters: TLog 2 seals SCOs 4, 5 and 6
        String tlog = NamespaceLayout.tlogKey(bad.manifest().allTlogs().get(1));
        String sco = NamespaceLayout.scoKey(5, 0);
        java.nio.ByteBuffer original = a.get("vm2", sco);
        java.nio.ByteBuffer damaged = java.nio.ByteBuffer.allocate(original.remaining()).put(original).flip();
        damaged.put(4097, (byte) (damaged.get(4097) ^ 0x10));
        a.put("vm2", sco, damaged);
        String log = finish(replicate("repl-bad", "run", "--config", replConfig(siteA, siteB).toString(), "--once"), 1);
        assertTrue(log.contains("vm2: replication stopped: source object " + a.name() + ":vm2/" + sco + " fails its checksum"), log);
        assertTrue(log.contains("vm3: replication stopped: target " + b.name() + ":vm3 already holds a volume 'vm3' that is not "
                + "a replica"), log);
        assertFalse(b.exists("vm2", sco));
        assertFalse(b.exists("vm2", tlog), "the TLog that seals the corrupt SCO is not shipped");
        assertTrue(new VolumeManifestStore(b).readLatest("vm2").isEmpty(), "no manifest names vm2's partial history");
        assertEquals(good.manifest().allTlogs(), new VolumeManifestStore(b).readLatest("vm1").orElseThrow().allTlogs());
    }
}
