package io.scoria.it.replication;

import io.scoria.backend.ObjectStore;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.replication.TwoSites.Router;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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

    private TwoSites sites;
    private Router router;

    @BeforeEach
    void setUp() {
        sites = new TwoSites(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        sites.close();
    }

    private Router serve(String dataDir, S3ProxyServer s3) throws Exception {
        router = sites.serve(dataDir, s3);
        return router;
    }

    private String qemuIo(String export, String... commands) throws Exception {
        return TwoSites.qemuIoOk(router, false, export, commands);
    }

    private Path replConfig(S3ProxyServer a, S3ProxyServer b) throws Exception {
        return sites.replConfig(a, b, "parallelism: 2");
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
        S3ProxyServer siteA = sites.site("site-a");
        S3ProxyServer siteB = sites.site("site-b");
        ObjectStore a = sites.store(siteA);
        ObjectStore b = sites.store(siteB);
        Path cfg = replConfig(siteA, siteB);

        Router routerA = serve("a-data", siteA);
        sites.createVolume(router, "vm1", "64MiB");
        qemuIo("vm1", "write -P 0x11 0 16M", "write -P 0x22 20M 8M");
        // a pass while the router on A is writing: ships whatever A's backend manifest names
        TwoSites.finish(sites.replicate("repl-live", "run", "--config", cfg.toString(), "--once"), 0);
        qemuIo("vm1", "write -P 0x33 32M 8M", "write -P 0x44 1M 512k");
        routerA.close();
        VolumeManifest onA = new VolumeManifestStore(a).readLatest("vm1").orElseThrow();

        // kill -9 of the job in the middle of shipping, then a re-run: nothing twice, nothing partial
        ManagedProcess killed = sites.replicate("repl-killed", "run", "--config", cfg.toString(), "--once", "--bandwidth-limit", "2MiB");
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
        String rerun = TwoSites.finish(sites.replicate("repl-rerun", "run", "--config", cfg.toString(), "--once"), 0);
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
        String verify = TwoSites.finish(sites.replicate("repl-verify", "verify", "--config", cfg.toString()), 0);
        assertTrue(verify.contains("verify vm1") && verify.contains(": OK"), verify);

        // site A writes on after the last shipped point, then is lost
        routerA = serve("a-data", siteA);
        qemuIo("vm1", "write -P 0x55 50M 1M");
        routerA.close();
        siteA.kill9();

        String promoted = TwoSites.finish(sites.replicate("repl-promote", "promote", "vm1", "--config", cfg.toString()), 0);
        assertTrue(promoted.contains("promoted vm1"), promoted);
        Router routerB = serve("b-data", siteB);
        qemuIo("vm1", "read -P 0x11 0 1M", "read -P 0x11 1536k 14848k", "read -P 0x22 20M 8M", "read -P 0x33 32M 8M",
                "read -P 0x44 1M 512k",
                "read -P 0 50M 1M");
        qemuIo("vm1", "write -P 0x66 8M 4M");
        routerB.close();

        siteA.start();
        String back = TwoSites.finish(sites.replicate("repl-failback", "failback", "vm1", "--config", cfg.toString()), 0);
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
        String resumed = TwoSites.finish(sites.replicate("repl-after", "run", "--config", cfg.toString(), "--once"), 0);
        assertTrue(resumed.contains("scoria-replicate: "), resumed);
    }

    @Test
    void aCorruptSourceObjectAndAForeignVolumeOnTheTargetAreRefusedNamingThem() throws Exception {
        S3ProxyServer siteA = sites.site("bad-a");
        S3ProxyServer siteB = sites.site("bad-b");
        ObjectStore a = sites.store(siteA);
        ObjectStore b = sites.store(siteB);
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
        String log = TwoSites.finish(sites.replicate("repl-bad", "run", "--config", replConfig(siteA, siteB).toString(), "--once"), 1);
        assertTrue(log.contains("vm2: replication stopped: source object " + a.name() + ":vm2/" + sco + " fails its checksum"), log);
        assertTrue(log.contains("vm3: replication stopped: target " + b.name() + ":vm3 already holds a volume 'vm3' that is not "
                + "a replica"), log);
        assertFalse(b.exists("vm2", sco));
        assertFalse(b.exists("vm2", tlog), "the TLog that seals the corrupt SCO is not shipped");
        assertTrue(new VolumeManifestStore(b).readLatest("vm2").isEmpty(), "no manifest names vm2's partial history");
        assertEquals(good.manifest().allTlogs(), new VolumeManifestStore(b).readLatest("vm1").orElseThrow().allTlogs());
    }
}
