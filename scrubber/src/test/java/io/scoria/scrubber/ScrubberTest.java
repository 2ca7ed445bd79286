package io.scoria.scrubber;

import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.sco.scrub.StaleScrubResultException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScrubberTest {
    private static final int CS = 4096;
    private static final long CLUSTERS = 2048;

    @TempDir
    java.nio.file.Path tmp;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    private static byte[] cluster(Random r) {
        byte[] b = new byte[CS];
        r.nextBytes(b);
        return b;
    }

    /** The scenario: overwrite the same 10% ten times, keep only the last snapshot. */
    private VolumeHistory overwrittenVolume(ObjectStore store, String ns) throws Exception {
        VolumeHistory v = new VolumeHistory(store, ns, CLUSTERS, CS, 64 * 1024, VolumeHistory.tempDir());
        Random r = new Random(1);
        for (long lba = 0; lba < CLUSTERS; lba++) {
            v.write(lba, cluster(r));
        }
        v.snapshot("s0");
        for (int round = 1; round <= 10; round++) {
            for (long lba = 0; lba < CLUSTERS / 10; lba++) {
                v.write(lba * 10 + 3, cluster(r));
            }
            v.trim(7 + round);
            v.snapshot("s" + round);
        }
        for (int i = 0; i < 10; i++) {
            v.deleteSnapshot("s" + i);
        }
        return v;
    }

    private static long scoBytes(ObjectStore store, String ns) {
        return store.listAll(ns, NamespaceLayout.SCO_PREFIX).stream().mapToLong(ObjectInfo::size).sum();
    }

    private static ScrubResult result(ObjectStore store, String ns, String key) {
        return ScrubResult.decode(store.get(ns, key), key);
    }

    /** What the router does after the grace period: apply to the manifest, delete obsolete objects. */
    private static void applyAndCollect(VolumeHistory v, ScrubResult r) {
        v.publish(r.applyTo(v.manifest()));
        r.obsoleteScos().forEach(k -> v.store.delete(v.ns, k));
        r.obsoleteTlogs().forEach(t -> v.store.delete(v.ns, NamespaceLayout.tlogKey(t)));
        v.store.delete(v.ns, r.key());
    }

    private static void assertState(Map<Long, byte[]> expected, Map<Long, byte[]> actual) {
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(actual.keySet()));
        expected.forEach((lba, bytes) -> assertArrayEquals(bytes, actual.get(lba), "lba " + lba));
    }

    @Test
    void overwrittenDataIsReclaimedAndEveryLbaReadsBack() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = overwrittenVolume(store, "vol1");
        long live = v.snapshots.get("s10").size() * (long) CS;
        long before = scoBytes(store, "vol1");
        assertTrue(before > 1.5 * live, "test premise: much garbage before scrubbing: " + before + " vs " + live);

        ScrubReport report = new Scrubber(store, ScrubConfig.of("vol1", tmp), out).run();
        assertNotNull(report.resultKey(), log.toString());
        assertTrue(report.scosRewritten() > 0);
        assertEquals(before, scoBytes(store, "vol1") - newScoBytes(store, result(store, "vol1", report.resultKey())),
                "the scrub deletes nothing by itself");
        assertState(v.snapshots.get("s10"), v.readBack("s10"));

        applyAndCollect(v, result(store, "vol1", report.resultKey()));
        long after = scoBytes(store, "vol1");
        assertTrue(after <= live * 1.15, "backend SCO bytes " + after + " must be within 15% of live data " + live);
        assertState(v.snapshots.get("s10"), v.readBack("s10"));
        assertTrue(log.toString().contains("MiB/s"), log.toString());
    }

    @Test
    void scrubsThroughTheDistributor() throws Exception {
        List<io.scoria.distributor.FragmentStore> stores = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            stores.add(io.scoria.distributor.FragmentStore.of("s" + i, new InMemoryObjectStore("mem" + i)));
        }
        try (io.scoria.distributor.store.Distributor store = new io.scoria.distributor.store.Distributor(
                io.scoria.distributor.DistributorConfig.of(stores, io.scoria.distributor.Policy.of(2, 3)))) {
            VolumeHistory v = overwrittenVolume(store, "dvol");
            long live = v.snapshots.get("s10").size() * (long) CS;
            ScrubReport report = new Scrubber(store, ScrubConfig.of("dvol", tmp), out).run();
            applyAndCollect(v, result(store, "dvol", report.resultKey()));
            assertTrue(scoBytes(store, "dvol") <= live * 1.15, "through the distributor too: " + scoBytes(store, "dvol"));
            assertState(v.snapshots.get("s10"), v.readBack("s10"));
        }
    }

    private static long newScoBytes(ObjectStore store, ScrubResult r) {
        return r.newScos().stream().mapToLong(k -> store.stat(r.namespace(), k).size()).sum();
    }

    @Test
    void sparselyLiveScosAreCompactedWithRelocations() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = new VolumeHistory(store, "vol2", CLUSTERS, CS, 64 * 1024, VolumeHistory.tempDir());
        Random r = new Random(2);
        for (long lba = 0; lba < 512; lba++) {
            v.write(lba, cluster(r));
        }
        v.snapshot("a");
        for (long lba = 0; lba < 512; lba += 4) {
            for (int k = 0; k < 3; k++) {
                v.write(lba + k, cluster(r));
            }
        }
        v.snapshot("b");
        v.deleteSnapshot("a");

        ScrubReport report = new Scrubber(store, ScrubConfig.of("vol2", tmp), out).run();
        ScrubResult res = result(store, "vol2", report.resultKey());
        assertTrue(res.relocationCount() >= 128, "the live quarter of the first SCOs moved: " + res.relocationCount());
        for (int i = 0; i < res.relocationCount(); i++) {
            assertTrue(NamespaceLayout.scoKey(res.relocationNew(i)).endsWith(".01"), "moved clusters land in version 1 SCOs");
        }
        applyAndCollect(v, res);
        assertState(v.snapshots.get("b"), v.readBack("b"));
        assertTrue(scoBytes(store, "vol2") <= 512L * CS * 1.15);
    }

    /**
     * Clusters a clone hydrated stay HYDRATED records through a scrub, also when they move to a new SCO,
     * so changed ranges still skip them; and their data stays live (a scrub that dropped them would lose it).
     */
    @Test
    void hydratedClustersKeepTheirRecordTypeWhenRelocated() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = new VolumeHistory(store, "vol7", CLUSTERS, CS, 64 * 1024, VolumeHistory.tempDir());
        Random r = new Random(7);
        for (long lba = 0; lba < 512; lba++) {
            v.hydrate(lba, cluster(r));
        }
        v.snapshot("a");
        Set<Long> stillCopied = new TreeSet<>();
        for (long lba = 0; lba < 512; lba += 4) {
            stillCopied.add(lba);
            for (int k = 1; k < 4; k++) {
                v.write(lba + k, cluster(r));
            }
        }
        v.snapshot("b");
        v.deleteSnapshot("a");
        assertEquals(512, v.hydratedThrough("b").size(), "before the scrub the overwritten copies are still logged");

        ScrubReport report = new Scrubber(store, ScrubConfig.of("vol7", tmp), out).run();
        ScrubResult res = result(store, "vol7", report.resultKey());
        assertTrue(res.relocationCount() >= 128, "the hydrated quarter moved: " + res.relocationCount());
        applyAndCollect(v, res);
        assertState(v.snapshots.get("b"), v.readBack("b"));
        assertEquals(stillCopied, v.hydratedThrough("b"));
    }

    @Test
    void applyingTwiceOrAfterRollbackIsRefused() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = overwrittenVolume(store, "vol3");
        ScrubResult res = result(store, "vol3", new Scrubber(store, ScrubConfig.of("vol3", tmp), out).run().resultKey());
        VolumeManifest applied = res.applyTo(v.manifest());
        assertThrows(StaleScrubResultException.class, () -> res.applyTo(applied));

        VolumeManifest rolledBack = v.manifest().withHistory(List.of(), List.of());
        StaleScrubResultException e = assertThrows(StaleScrubResultException.class, () -> res.applyTo(rolledBack));
        assertTrue(e.getMessage().contains("s10"), e.getMessage());
    }

    @Test
    void secondRunFindsNothingToScrub() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = overwrittenVolume(store, "vol4");
        applyAndCollect(v, result(store, "vol4", new Scrubber(store, ScrubConfig.of("vol4", tmp), out).run().resultKey()));
        ScrubReport again = new Scrubber(store, ScrubConfig.of("vol4", tmp), out).run();
        assertEquals(null, again.resultKey());
        assertState(v.snapshots.get("s10"), v.readBack("s10"));
    }

    @Test
    void corruptScoStopsTheScrubNamingItAndDeletesNothing() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = overwrittenVolume(store, "vol5");
        ScrubResult probe = result(store, "vol5", new Scrubber(store, ScrubConfig.of("vol5", tmp), out).run().resultKey());
        store.delete("vol5", probe.key());
        probe.newScos().forEach(k -> store.delete("vol5", k));
        probe.segments().forEach(s -> s.newTlogs().forEach(t -> store.delete("vol5", NamespaceLayout.tlogKey(t))));
        Set<String> before = keys(store, "vol5");

        String victim = probe.obsoleteScos().stream().filter(k -> {
            long size = store.stat("vol5", k).size();
            return size > 0;
        }).findFirst().orElseThrow();
        store.corrupt("vol5", victim, 100);
        ScrubException e = assertThrows(ScrubException.class, () -> new Scrubber(store, ScrubConfig.of("vol5", tmp), out).run());
        assertTrue(e.getMessage().contains(victim), e.getMessage());
        assertEquals(before, keys(store, "vol5"), "nothing deleted, no partial output left");
    }

    @Test
    void corruptTlogIsNamed() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = overwrittenVolume(store, "vol6");
        long tlog = v.manifest().snapshots().get(0).tlogs().get(3);
        store.corrupt("vol6", NamespaceLayout.tlogKey(tlog), 60);
        ScrubException e = assertThrows(ScrubException.class, () -> new Scrubber(store, ScrubConfig.of("vol6", tmp), out).run());
        assertTrue(e.getMessage().contains(NamespaceLayout.tlogKey(tlog)), e.getMessage());
    }

    @Test
    void missingNamespaceAndMissingSnapshotAreNamed() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        ScrubException e = assertThrows(ScrubException.class, () -> new Scrubber(store, ScrubConfig.of("nope", tmp), out).run());
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("does not exist"), e.getMessage());
        overwrittenVolume(store, "vol7");
        ScrubException s = assertThrows(ScrubException.class, () -> new Scrubber(store,
                ScrubConfig.of("vol7", tmp).withSnapshots(List.of("ghost")), out).run());
        assertTrue(s.getMessage().contains("ghost"), s.getMessage());
    }

    @Test
    void aLiveLeaseKeepsASecondJobOutAndADeadOneIsTakenOver() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        overwrittenVolume(store, "vol8");
        try (ScrubLease held = ScrubLease.acquire(store, "vol8", java.time.Duration.ofMinutes(5))) {
            LeaseHeldException e = assertThrows(LeaseHeldException.class,
                    () -> new Scrubber(store, ScrubConfig.of("vol8", tmp), out).run());
            assertTrue(e.getMessage().contains("another job"), e.getMessage());
        }
        String host = java.net.InetAddress.getLocalHost().getHostName();
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        store.put("vol8", ScrubResult.LEASE_KEY, ByteBuffer.wrap(("{\"token\":\"x\",\"host\":\"" + host + "\",\"pid\":"
                + dead.pid() + ",\"expiresMillis\":" + (System.currentTimeMillis() + 600_000) + "}").getBytes(StandardCharsets.UTF_8)));
        assertNotNull(new Scrubber(store, ScrubConfig.of("vol8", tmp), out).run().resultKey());
        assertFalse(store.exists("vol8", ScrubResult.LEASE_KEY), "lease released at the end");
    }

    @Test
    void snapshotsAClonesDependsOnAreNotScrubbed() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeHistory v = overwrittenVolume(store, "gold");
        long pinned = v.manifest().snapshot("s10").id();
        VolumeManifest clone = VolumeManifest.create("desk1", new VolumeManifest.Config(CLUSTERS * CS, CS, 64 * 1024, "desk1"))
                .withParent(new VolumeManifest.Parent("gold", "gold", "s10", pinned)).withGeneration(1);
        store.createNamespace("desk1");
        new VolumeManifestStore(store).publish("desk1", clone);
        Set<String> before = keys(store, "gold");
        ScrubReport r = new Scrubber(store, ScrubConfig.of("gold", tmp), out).run();
        assertEquals(null, r.resultKey());
        assertTrue(log.toString().contains("a clone depends on it"), log.toString());
        assertEquals(before, keys(store, "gold"));
    }

    @Test
    void killedAtAnyPointARerunCompletesWithoutLeaks() throws Exception {
        FaultInjectingStore clean = new FaultInjectingStore(new InMemoryObjectStore());
        overwrittenVolume(clean, "vol9");
        long putsBefore = clean.metrics().puts();
        new Scrubber(clean, ScrubConfig.of("vol9", tmp), out).run();
        int scrubPuts = (int) (clean.metrics().puts() - putsBefore);
        Set<String> expected = keys(clean, "vol9");
        assertTrue(scrubPuts >= 5, "the scrub writes SCOs, TLogs, journal, lease and result: " + scrubPuts);

        int step = Math.max(1, scrubPuts / 10);
        for (int failAt = 1; failAt <= scrubPuts; failAt += step) {
            FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());
            overwrittenVolume(store, "vol9");
            AtomicInteger puts = new AtomicInteger();
            int n = failAt;
            boolean crashedHard = (failAt / step) % 2 == 1;
            store.failWhen(c -> (c.op() == FaultInjectingStore.Op.PUT && puts.incrementAndGet() >= n)
                    || (crashedHard && puts.get() >= n && c.op() == FaultInjectingStore.Op.DELETE));
            assertThrows(ScrubException.class, () -> new Scrubber(store, ScrubConfig.of("vol9", tmp), out).run(),
                    "the injected failure at put " + failAt + " of " + scrubPuts + " stops the job");
            store.heal();
            if (crashedHard) {
                store.delete("vol9", ScrubResult.LEASE_KEY);
            }
            new Scrubber(store, ScrubConfig.of("vol9", tmp), out).run();
            assertEquals(expected, keys(store, "vol9"), "after a failure at put " + failAt);
        }
    }

    private static Set<String> keys(ObjectStore store, String ns) {
        Set<String> keys = new TreeSet<>();
        store.listAll(ns, "").forEach(o -> keys.add(o.key()));
        keys.removeIf(k -> k.startsWith(NamespaceLayout.MANIFEST_PREFIX));
        return keys;
    }

    /**
     * scoria-scrub gets a volume's data key the way the router does: its config's backend
     * section holds the transform section with the key-encryption key (a file here), which
     * unwraps the volume's data key from the key ring on the backend. Its rewritten SCOs are
     * compressed and encrypted like the router's; without the key it stops naming the volume.
     */
    @Test
    void scrubsAnEncryptedCompressedVolumeWithTheKeyFromItsConfig() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(tmp.resolve("etc"));
        byte[] kek = new byte[32];
        new Random(99).nextBytes(kek);
        java.nio.file.Files.writeString(dir.resolve("scoria.kek"), java.util.Base64.getEncoder().encodeToString(kek));
        java.nio.file.Path cfg = java.nio.file.Files.writeString(dir.resolve("scrub.yaml"), """
                backend:
                  type: fs
                  fs: {root: objects}
                  transform: {compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: {file: scoria.kek}}
                """);
        io.scoria.distributor.config.BackendConfig config = ScrubMain.readBackend(cfg);
        try (ObjectStore router = config.open(); ObjectStore raw = config.openUntransformed()) {
            VolumeHistory v = overwrittenVolume(router, "vol1");
            ScrubReport report;
            try (ObjectStore scrubStore = config.open()) {
                report = new Scrubber(scrubStore, ScrubConfig.of("vol1", tmp.resolve("scratch")), out).run();
            }
            assertTrue(report.scosRewritten() > 0, log.toString());
            ScrubResult r = result(router, "vol1", report.resultKey());
            applyAndCollect(v, r);
            assertState(v.snapshots.get("s10"), v.readBack("s10"));
            List<ObjectInfo> scos = raw.listAll("vol1", NamespaceLayout.SCO_PREFIX);
            assertFalse(scos.isEmpty());
            for (ObjectInfo o : scos) {
                ByteBuffer head = raw.get("vol1", o.key(), 0, 10);
                assertEquals((byte) 0x89, head.get(0), o.key() + " carries the transform header");
                assertEquals(1, head.get(9) & 1, o.key() + " is encrypted");
            }

            java.nio.file.Path other = java.nio.file.Files.writeString(dir.resolve("other.yaml"), """
                    backend:
                      type: fs
                      fs: {root: objects}
                      transform: {encryption: aes-256-gcm, keyEncryptionKey: "%s"}
                    """.formatted(java.util.Base64.getEncoder().encodeToString(new byte[32])));
            try (ObjectStore wrongKey = ScrubMain.readBackend(other).open()) {
                ScrubException e = assertThrows(ScrubException.class,
                        () -> new Scrubber(wrongKey, ScrubConfig.of("vol1", tmp.resolve("scratch2")), out).run());
                assertTrue(e.getMessage().contains("volume 'vol1'"), e.getMessage());
                assertTrue(e.getCause() instanceof io.scoria.backend.transform.WrongKeyException, String.valueOf(e.getCause()));
            }
        }
    }
}
