package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicationJobTest {
    static final int CS = 4096;

    @TempDir
    Path tmp;

    final InMemoryObjectStore a = new InMemoryObjectStore("a");
    final InMemoryObjectStore b = new InMemoryObjectStore("b");
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    static VolumeHistory history(ObjectStore store, String ns, int snapshots, long seed, Path tmp) {
        VolumeHistory v;
        try {
            v = new VolumeHistory(store, ns, 256, CS, 8 * CS, Files.createTempDirectory(tmp, ns));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Random r = new Random(seed);
        byte[] b = new byte[CS];
        for (int s = 0; s < snapshots; s++) {
            for (int i = 0; i < 20; i++) {
                r.nextBytes(b);
                v.write(r.nextInt(256), b);
            }
            v.snapshot("s" + s);
        }
        return v;
    }

    static ReplicationConfig.Replication options() {
        return ReplicationConfig.Replication.defaults();
    }

    boolean runOnce(ObjectStore source, ObjectStore target, ReplicationConfig.Replication o, ReplicationCounters[] counters) {
        try (ReplicationJob job = new ReplicationJob(source, target, o, out)) {
            boolean ok = job.runOnce();
            counters[0] = job.counters();
            return ok;
        }
    }

    String log() {
        return log.toString(StandardCharsets.UTF_8);
    }

    /** The target's newest manifest names only TLogs it holds, and they only SCOs it holds, each byte-equal to the source's. */
    static void assertConsistentPrefix(ObjectStore source, ObjectStore target, String ns) {
        var m = new VolumeManifestStore(target).readLatest(ns);
        if (m.isEmpty()) {
            return;
        }
        for (long t : m.get().allTlogs()) {
            String key = NamespaceLayout.tlogKey(t);
            assertEquals(source.get(ns, key), target.get(ns, key), key);
            TLogReader.replaySealed(target.get(ns, key), key, TLogVisitor.sealedScos((sco, crc, clusters) -> {
                String k = NamespaceLayout.scoKey(sco);
                assertEquals(source.get(ns, k), target.get(ns, k), k);
            }));
        }
    }

    static long objects(ObjectStore store, String ns) {
        return store.listAll(ns, NamespaceLayout.SCO_PREFIX).size() + store.listAll(ns, NamespaceLayout.TLOG_PREFIX).size();
    }

    @Test
    void replicaHoldsTheSourceHistoryAndASecondPassShipsNothing() {
        VolumeHistory v = history(a, "vm1", 4, 1, tmp);
        history(a, "other", 1, 2, tmp);
        ReplicationCounters[] c = new ReplicationCounters[1];
        assertTrue(runOnce(a, b, options().withPattern("vm*"), c), log());
        assertFalse(b.namespaceExists("other"));
        assertEquals(v.manifest().allTlogs(), new VolumeManifestStore(b).readLatest("vm1").orElseThrow().allTlogs());
        assertConsistentPrefix(a, b, "vm1");
        assertEquals(objects(a, "vm1"), c[0].objectsShipped());
        assertTrue(log().contains("vm1: manifest generation"), log());
        assertTrue(ReplicaVerifier.verify(a, b, "vm1").problems().isEmpty());

        assertTrue(runOnce(a, b, options().withVolumes(List.of("vm1")), c));
        assertEquals(0, c[0].objectsShipped(), "nothing shipped twice");

        v.write(3, new byte[CS]);
        v.snapshot("s9");
        assertTrue(runOnce(a, b, options().withVolumes(List.of("vm1")), c));
        assertEquals(2, c[0].objectsShipped(), "one new SCO and one new TLog");
        assertConsistentPrefix(a, b, "vm1");
    }

    /** The replica carries the volume's project (manifest schema 3), so a router on the DR site answers the same. */
    @Test
    void theReplicaKeepsTheVolumesProject() {
        history(a, "vm1", 1, 1, tmp);
        VolumeManifestStore source = new VolumeManifestStore(a);
        VolumeManifest m = source.readLatest("vm1").orElseThrow();
        String json = new String(VolumeManifestStore.toJson(m), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"project\" : \"default\""), json);
        VolumeManifest teamA = VolumeManifestStore.fromJson(json.replace("\"project\" : \"default\"", "\"project\" : \"team-a\"")
                .getBytes(StandardCharsets.UTF_8), "vm1");
        source.publish("vm1", teamA.withGeneration(m.generation() + 1));
        assertTrue(runOnce(a, b, options().withVolumes(List.of("vm1")), new ReplicationCounters[1]), log());
        assertEquals("team-a", new VolumeManifestStore(b).readLatest("vm1").orElseThrow().project());
    }

    @Test
    void theProgressBarCountsTheTlogsOfAPassOnOneRedrawnLine() {
        VolumeHistory v = history(a, "vm1", 3, 4, tmp);
        int tlogs = v.manifest().allTlogs().size();
        try (ReplicationJob job = new ReplicationJob(a, b, options(), out, true)) {
            assertTrue(job.runOnce(), log());
        }
        String drawn = log();
        assertTrue(drawn.contains("\rvm1 [" + "#".repeat(30) + "] " + tlogs + "/" + tlogs + " TLogs"), drawn);
        assertTrue(drawn.contains("\rvm1 [" + ".".repeat(30) + "] 0/" + tlogs + " TLogs"), drawn);
        log.reset();
        v.write(5, new byte[CS]);
        v.snapshot("more");
        assertTrue(runOnce(a, b, options(), new ReplicationCounters[1]), log());
        assertFalse(log().contains("\r"), "no bar unless asked for (the output is not a terminal): " + log());
    }

    @Test
    void theScosOfTheNextTlogStartWhileTheLastOnesOfATlogAreInFlight() throws Exception {
        VolumeHistory v = history(a, "vm1", 4, 9, tmp);
        List<Long> tlogs = v.manifest().allTlogs();
        java.util.Map<String, Long> tlogOf = new java.util.HashMap<>();
        for (long t : tlogs) {
            TLogReader.replaySealed(a.get("vm1", NamespaceLayout.tlogKey(t)), "t",
                    TLogVisitor.sealedScos((sco, crc, n) -> tlogOf.put(NamespaceLayout.scoKey(sco), t)));
        }
        long first = tlogs.get(0);
        assertTrue(tlogOf.values().stream().filter(t -> t == first).count() < options().parallelism(),
                "the first TLog leaves a free slot");
        java.util.concurrent.CountDownLatch nextStarted = new java.util.concurrent.CountDownLatch(1);
        FaultInjectingStore target = new FaultInjectingStore(b);
        // each SCO put of the first TLog waits for an SCO of a later TLog to start: without pipelining it never
        // would, and the wait ends in an injected failure after 30 s
        target.failWhen(call -> {
            Long t = call.op() == FaultInjectingStore.Op.PUT && call.key() != null ? tlogOf.get(call.key()) : null;
            if (t == null) {
                return false;
            }
            if (t != first) {
                nextStarted.countDown();
                return false;
            }
            try {
                return !nextStarted.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        });
        ReplicationCounters[] c = new ReplicationCounters[1];
        assertTrue(runOnce(a, target, options(), c), log());
        assertFalse(log().contains("pass failed"), log());
        assertConsistentPrefix(a, b, "vm1");
        assertEquals(tlogs, new VolumeManifestStore(b).readLatest("vm1").orElseThrow().allTlogs());
    }

    @Test
    void aPassInterruptedAtEveryPutLeavesAConsistentPrefixAndTheReRunShipsEachObjectOnce() {
        history(a, "vm1", 3, 3, tmp);
        long total = objects(a, "vm1");
        for (int failAt = 1; failAt <= total + 1; failAt++) {
            InMemoryObjectStore mem = new InMemoryObjectStore("b");
            FaultInjectingStore faulty = new FaultInjectingStore(mem);
            AtomicInteger puts = new AtomicInteger();
            int fail = failAt;
            faulty.failWhen(call -> call.op() == FaultInjectingStore.Op.PUT && call.key() != null
                    && (call.key().startsWith("sco/") || call.key().startsWith("tlog/")) && puts.incrementAndGet() >= fail);
            ReplicationCounters[] first = new ReplicationCounters[1];
            log.reset();
            assertTrue(runOnce(a, faulty, options(), first), "a backend error only fails the pass: " + log());
            assertEquals(failAt <= total, log().contains("pass failed, retrying next pass: faulty(b): injected failure of PUT"),
                    log());
            assertConsistentPrefix(a, mem, "vm1");
            faulty.heal();
            ReplicationCounters[] second = new ReplicationCounters[1];
            assertTrue(runOnce(a, faulty, options(), second), log());
            assertEquals(total, first[0].objectsShipped() + second[0].objectsShipped(), "failing put " + failAt);
            assertConsistentPrefix(a, mem, "vm1");
            assertEquals(new VolumeManifestStore(a).readLatest("vm1").orElseThrow().allTlogs(),
                    new VolumeManifestStore(mem).readLatest("vm1").orElseThrow().allTlogs());
        }
    }

    @Test
    void aCorruptSourceScoStopsThatVolumeNamingItAndNothingAfterItIsShipped() {
        VolumeHistory v = history(a, "vm1", 4, 4, tmp);
        history(a, "vm2", 2, 5, tmp);
        long badTlog = v.manifest().allTlogs().get(2);
        List<String> sealed = new java.util.ArrayList<>();
        TLogReader.replaySealed(a.get("vm1", NamespaceLayout.tlogKey(badTlog)), "t",
                TLogVisitor.sealedScos((sco, crc, n) -> sealed.add(NamespaceLayout.scoKey(sco))));
        String bad = sealed.get(0);
        a.corrupt("vm1", bad, 100);
        ReplicationCounters[] c = new ReplicationCounters[1];
        assertFalse(runOnce(a, b, options(), c));
        assertTrue(log().contains("vm1: replication stopped: source object a:vm1/" + bad + " fails its checksum"), log());
        assertFalse(b.exists("vm1", bad));
        for (String later : sealed) {
            assertFalse(b.exists("vm1", later), later);
        }
        List<Long> tlogs = v.manifest().allTlogs();
        for (long t : tlogs.subList(2, tlogs.size())) {
            assertFalse(b.exists("vm1", NamespaceLayout.tlogKey(t)), "TLog " + t + " is shipped only after its predecessors");
        }
        java.util.Set<String> before = new java.util.HashSet<>();
        for (long t : tlogs.subList(0, 2)) {
            assertTrue(b.exists("vm1", NamespaceLayout.tlogKey(t)), "TLog " + t + " before the corrupt one is shipped");
            TLogReader.replaySealed(a.get("vm1", NamespaceLayout.tlogKey(t)), "t",
                    TLogVisitor.sealedScos((sco, crc, n) -> before.add(NamespaceLayout.scoKey(sco))));
        }
        for (var o : b.listAll("vm1", NamespaceLayout.SCO_PREFIX)) {
            assertTrue(before.contains(o.key()), o.key() + " follows the corrupt SCO in shipping order");
        }
        assertTrue(new VolumeManifestStore(b).readLatest("vm1").isEmpty(), "no manifest names a partial history");
        assertTrue(new VolumeManifestStore(b).readLatest("vm2").isPresent(), "the other volume is replicated");
        assertEquals(1, c[0].volumesFailed());
    }

    @Test
    void aCorruptSourceTlogIsNamed() {
        VolumeHistory v = history(a, "vm1", 2, 6, tmp);
        String key = NamespaceLayout.tlogKey(v.manifest().allTlogs().get(1));
        a.corrupt("vm1", key, 60);
        assertFalse(runOnce(a, b, options(), new ReplicationCounters[1]));
        assertTrue(log().contains("source object a:vm1/" + key + " fails its checksum"), log());
        assertFalse(b.exists("vm1", key));
    }

    @Test
    void aTargetHoldingAnotherVolumeOfTheSameNameIsRefused() {
        history(a, "vm1", 1, 7, tmp);
        history(b, "vm1", 1, 8, tmp);
        assertFalse(runOnce(a, b, options(), new ReplicationCounters[1]));
        assertTrue(log().contains("target b:vm1 already holds a volume 'vm1' that is not a replica of a:vm1"), log());

        InMemoryObjectStore c = new InMemoryObjectStore("c");
        assertTrue(runOnce(a, c, options(), new ReplicationCounters[1]));
        a.deleteNamespace("vm1");
        history(a, "vm1", 2, 9, tmp);
        long before = objects(c, "vm1");
        assertFalse(runOnce(a, c, options(), new ReplicationCounters[1]));
        assertTrue(log().contains("target c:vm1 holds a different volume of the same name"), log());
        assertEquals(before, objects(c, "vm1"), "nothing shipped over it");
    }

    @Test
    void snapshotModeShipsUpToTheLastSnapshotOnly() {
        VolumeHistory v = history(a, "vm1", 3, 10, tmp);
        VolumeManifest m = v.manifest();
        List<VolumeManifest.Snapshot> snaps = m.snapshots();
        v.publish(m.withHistory(snaps.subList(0, 2), snaps.get(2).tlogs()));
        assertTrue(runOnce(a, b, options().withMode("snapshot"), new ReplicationCounters[1]), log());
        VolumeManifest replica = new VolumeManifestStore(b).readLatest("vm1").orElseThrow();
        assertEquals(List.of("s0", "s1"), replica.snapshots().stream().map(VolumeManifest.Snapshot::name).toList());
        assertTrue(replica.currentTlogs().isEmpty());
        assertFalse(b.exists("vm1", NamespaceLayout.tlogKey(snaps.get(2).tlogs().get(0))));
        assertConsistentPrefix(a, b, "vm1");
    }

    @Test
    void bandwidthLimitPacesTheShipping() throws Exception {
        BandwidthLimit limit = new BandwidthLimit(1 << 20);
        long start = System.nanoTime();
        for (int i = 0; i < 6; i++) {
            limit.acquire(512 << 10);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        assertTrue(secs >= 1.8 && secs < 4, "3 MiB at 1 MiB/s with a 1 MiB burst took " + secs + " s");
    }

    @Test
    void aPromotedReplicaIsNeverShippedInto() {
        VolumeHistory v = history(a, "vm1", 2, 11, tmp);
        assertTrue(runOnce(a, b, options(), new ReplicationCounters[1]));
        long gen = new VolumeManifestStore(b).readLatest("vm1").orElseThrow().generation();
        Promotion.Promoted p = Promotion.promote(b, "vm1");
        assertEquals(gen + 1, p.manifest().generation());
        assertEquals(v.manifest().allTlogs(), p.manifest().allTlogs());
        assertEquals(ReplicationState.Role.PRIMARY, ReplicaRoles.state(b, "vm1").orElseThrow().role());
        v.write(1, new byte[CS]);
        v.snapshot("later");
        ReplicationCounters[] c = new ReplicationCounters[1];
        assertFalse(runOnce(a, b, options(), c));
        assertTrue(log().contains("was promoted (epoch 1)"), log());
        assertEquals(0, c[0].objectsShipped());
    }

    @Test
    void aCloneIsShippedAfterItsParentAndRefusedWithoutIt() {
        history(a, "gold", 1, 12, tmp);
        VolumeHistory desk = history(a, "desk1", 1, 13, tmp);
        desk.publish(desk.manifest().withParent(new VolumeManifest.Parent("gold", "gold", "s0", 1)));
        assertFalse(runOnce(a, b, options().withPattern("desk*"), new ReplicationCounters[1]));
        assertTrue(log().contains("volume 'desk1' is a clone of 'gold', which is not on the target yet"), log());
        log.reset();
        ReplicationCounters[] c = new ReplicationCounters[1];
        assertTrue(runOnce(a, b, options().withPattern("*"), c), log());
        assertTrue(log().indexOf("gold: manifest") < log().indexOf("desk1: manifest") && log().contains("gold: manifest"), log());
        assertEquals("gold", new VolumeManifestStore(b).readLatest("desk1").orElseThrow().parent().namespace());
    }

    @Test
    void countersAreServedAsPrometheusText() throws Exception {
        history(a, "vm1", 2, 14, tmp);
        try (ReplicationJob job = new ReplicationJob(a, b, options(), out);
             MetricsEndpoint metrics = new MetricsEndpoint(0, job.counters())) {
            assertTrue(job.runOnce());
            var http = java.net.http.HttpClient.newHttpClient();
            String text = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + metrics.port()
                    + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(text.contains("scoria_replication_objects_shipped_total " + objects(a, "vm1") + "\n"), text);
            assertTrue(text.contains("scoria_replication_manifests_published_total 1\n"), text);
            assertTrue(text.contains("# TYPE scoria_replication_lag_seconds gauge"), text);
        }
    }
}
