package io.scoria.it.scrub;

import io.scoria.backend.ObjectInfo;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scrubber as a separate JVM ({@code java -jar scrubber/target/scoria-scrub.jar}) that has
 * nothing but a config file with the backend section, against a real s3proxy; and the same
 * job killed with SIGKILL at random moments, then re-run: it completes and leaks nothing.
 */
class ScrubSeparateProcessIT {
    private static final int CS = 4096;
    private static S3ProxyServer s3;
    private static S3ObjectStore store;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyServer.start("scrub");
        store = new S3ObjectStore(S3StoreConfig.of(s3.endpoint(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)
                .withConditionalPut(true));
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
        s3.close();
    }

    private VolumeHistory overwritten(String ns) throws Exception {
        VolumeHistory v = new VolumeHistory(store, ns, 1024, CS, 64 * 1024, VolumeHistory.tempDir());
        Random r = new Random(ns.hashCode());
        byte[] b = new byte[CS];
        for (long lba = 0; lba < 1024; lba++) {
            r.nextBytes(b);
            v.write(lba, b);
        }
        v.snapshot("s0");
        for (int round = 1; round <= 5; round++) {
            for (long lba = 0; lba < 1024; lba += 10) {
                r.nextBytes(b);
                v.write(lba, b);
            }
            v.snapshot("s" + round);
        }
        for (int i = 0; i < 5; i++) {
            v.deleteSnapshot("s" + i);
        }
        return v;
    }

    private Path config() throws Exception {
        Path file = tmp.resolve("scoria.yaml");
        Files.writeString(file, String.join("\n",
                "nbd: { port: 10809 }   # other sections are ignored by scoria-scrub",
                "backend:",
                "  type: s3",
                "  s3:",
                "    endpoint: " + s3.endpoint(),
                "    accessKey: " + S3ProxyServer.ACCESS_KEY,
                "    secretKey: " + S3ProxyServer.SECRET_KEY,
                "    conditionalPut: true",
                ""));
        return file;
    }

    private ManagedProcess scrub(String ns, Path config, String name) throws Exception {
        Path jar = Path.of(System.getProperty("scoria.repo.root"), "scrubber", "target", "scoria-scrub.jar");
        assertTrue(Files.isRegularFile(jar), "scoria-scrub.jar is built by the scrubber module: " + jar);
        return ManagedProcess.start(name, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m", "-jar", jar.toString(), "--config", config.toString(), "--namespace", ns,
                        "--scratch", tmp.resolve("scratch").toString(), "--lease-ttl-seconds", "5"),
                tmp, tmp.resolve(name + ".log"));
    }

    private static Set<String> keys(String ns) {
        Set<String> keys = new TreeSet<>();
        store.listAll(ns, "").forEach(o -> keys.add(o.key()));
        keys.removeIf(k -> k.startsWith(NamespaceLayout.MANIFEST_PREFIX));
        return keys;
    }

    @Test
    void separateJvmScrubsAgainstS3AndTheResultApplies() throws Exception {
        VolumeHistory v = overwritten("scrubvol1");
        long before = store.listAll("scrubvol1", "sco/").stream().mapToLong(ObjectInfo::size).sum();
        try (ManagedProcess p = scrub("scrubvol1", config(), "scrub")) {
            assertTrue(p.process().waitFor(120, TimeUnit.SECONDS), "scrub finished");
            assertEquals(0, p.process().exitValue(), p.logTail(20));
            assertTrue(p.logTail(200).contains("MiB/s"), p.logTail(20));
        }
        String key = store.listAll("scrubvol1", ScrubResult.PREFIX).get(0).key();
        ScrubResult r = ScrubResult.decode(store.get("scrubvol1", key), key);
        v.publish(r.applyTo(v.manifest()));
        r.obsoleteScos().forEach(k -> store.delete("scrubvol1", k));
        r.obsoleteTlogs().forEach(t -> store.delete("scrubvol1", NamespaceLayout.tlogKey(t)));
        long after = store.listAll("scrubvol1", "sco/").stream().mapToLong(ObjectInfo::size).sum();
        long live = 1024L * CS;
        assertTrue(before > 1.4 * live && after <= 1.15 * live, "SCO bytes " + before + " -> " + after + ", live " + live);
        Map<Long, byte[]> expected = v.snapshots.get("s5");
        Map<Long, byte[]> actual = v.readBack("s5");
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((lba, bytes) -> assertArrayEquals(bytes, actual.get(lba), "lba " + lba));
    }

    @Test
    void killedScrubberReRunsToCompletionWithoutLeaks() throws Exception {
        VolumeHistory v = overwritten("scrubvol2");
        Set<String> before = keys("scrubvol2");
        Path config = config();
        Random random = new Random(7);
        for (int i = 0; i < 3; i++) {
            try (ManagedProcess p = scrub("scrubvol2", config, "killed-" + i)) {
                Thread.sleep(300 + random.nextInt(2500));
                p.kill9();
            }
        }
        String finished = null;
        for (int attempt = 0; attempt < 10 && finished == null; attempt++) {
            try (ManagedProcess p = scrub("scrubvol2", config, "rerun-" + attempt)) {
                p.process().waitFor(120, TimeUnit.SECONDS);
                if (p.process().exitValue() == 0) {
                    finished = p.logTail(20);
                } else {
                    assertTrue(p.logTail(5).contains("being scrubbed by another job")
                            || p.logTail(5).contains("nothing to scrub"), p.logTail(10));
                    Thread.sleep(2000);
                }
            }
        }
        assertTrue(finished != null, "a re-run completed");
        List<ObjectInfo> results = store.listAll("scrubvol2", ScrubResult.PREFIX);
        assertEquals(1, results.size());
        ScrubResult r = ScrubResult.decode(store.get("scrubvol2", results.get(0).key()), "result");
        Set<String> expected = new TreeSet<>(before);
        expected.addAll(r.newScos());
        r.segments().forEach(s -> s.newTlogs().forEach(t -> expected.add(NamespaceLayout.tlogKey(t))));
        expected.add(r.key());
        assertEquals(expected, keys("scrubvol2"), "exactly the old objects plus this result's outputs: nothing leaked");
        v.publish(r.applyTo(v.manifest()));
        Map<Long, byte[]> actual = v.readBack("s5");
        v.snapshots.get("s5").forEach((lba, bytes) -> assertArrayEquals(bytes, actual.get(lba), "lba " + lba));
    }
}
