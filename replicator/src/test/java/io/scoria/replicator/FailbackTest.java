package io.scoria.replicator;

import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;
import io.scoria.scrubber.VolumeHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FailbackTest {
    @TempDir
    Path tmp;

    final InMemoryObjectStore a = new InMemoryObjectStore("a");
    final InMemoryObjectStore b = new InMemoryObjectStore("b");
    final ReplicationCounters counters = new ReplicationCounters();

    static Map<Long, byte[]> clusters(int first, int count, int fill) {
        Map<Long, byte[]> m = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[ReplicationJobTest.CS];
            java.util.Arrays.fill(bytes, (byte) (fill + i));
            m.put((long) first + i, bytes);
        }
        return m;
    }

    private void replicate() {
        try (ReplicationJob job = new ReplicationJob(a, b, ReplicationConfig.Replication.defaults(),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            assertTrue(job.runOnce());
        }
    }

    private Failback.Result failback() {
        try (ObjectTransfer t = new ObjectTransfer(2, new BandwidthLimit(0), counters)) {
            return new Failback(a, b, "vm1", t).run();
        }
    }

    @Test
    void failbackShipsOnlyTheReplicaWritesAndKeepsTheOldSitesDivergedWritesAsAVolume() {
        VolumeHistory v = ReplicationJobTest.history(a, "vm1", 3, 20, tmp);
        replicate();
        long lastCommon = v.manifest().lastRouterTlog();
        // the old site wrote on after the last shipped point; then it was lost and B promoted
        SiteWriter.append(a, "vm1", tmp, clusters(0, 5, 0x10));
        VolumeManifest diverged = new VolumeManifestStore(a).readLatest("vm1").orElseThrow();
        Promotion.promote(b, "vm1");
        long written = SiteWriter.append(b, "vm1", tmp, clusters(100, 8, 0x40)) + SiteWriter.append(b, "vm1", tmp, clusters(50, 3, 0x70));
        VolumeManifest onB = new VolumeManifestStore(b).readLatest("vm1").orElseThrow();

        Failback.Result r = failback();
        assertEquals(lastCommon, r.lastCommonTlog());
        assertEquals(2, r.tlogsShippedBack());
        assertEquals(written, r.bytesShippedBack(), "exactly the replica's writes since the common point");
        assertEquals("vm1-diverged-2", r.divergedVolume());
        VolumeManifest onA = new VolumeManifestStore(a).readLatest("vm1").orElseThrow();
        assertEquals(onB.allTlogs(), onA.allTlogs());
        ReplicationJobTest.assertConsistentPrefix(b, a, "vm1");
        // the old site's diverged history is a volume of its own, whole
        VolumeManifest kept = new VolumeManifestStore(a).readLatest("vm1-diverged-2").orElseThrow();
        assertEquals(diverged.allTlogs(), kept.allTlogs());
        assertEquals("vm1-diverged-2", kept.config().namespace());
        for (long t : kept.allTlogs()) {
            assertTrue(a.exists("vm1-diverged-2", NamespaceLayout.tlogKey(t)));
        }
        // roles swapped back: A is the primary at the new epoch (a router that opened it before is fenced by the
        // change), B a replica again, and run continues from A to B
        ReplicationState onAState = ReplicaRoles.state(a, "vm1").orElseThrow();
        assertEquals(ReplicationState.Role.PRIMARY, onAState.role());
        assertEquals(2, onAState.epoch());
        assertEquals(v.manifest().volumeId(), onAState.volumeId(), "the replication id is the manifest's volumeId");
        assertEquals(ReplicationState.Role.REPLICA, ReplicaRoles.state(b, "vm1").orElseThrow().role());
        SiteWriter.append(a, "vm1", tmp, clusters(7, 2, 0x21));
        replicate();
        ReplicationJobTest.assertConsistentPrefix(a, b, "vm1");
        assertEquals(new VolumeManifestStore(a).readLatest("vm1").orElseThrow().allTlogs(),
                new VolumeManifestStore(b).readLatest("vm1").orElseThrow().allTlogs());
    }

    @Test
    void withoutDivergedWritesNothingIsKeptAndARerunShipsNothing() {
        ReplicationJobTest.history(a, "vm1", 2, 21, tmp);
        replicate();
        Promotion.promote(b, "vm1");
        SiteWriter.append(b, "vm1", tmp, clusters(9, 4, 0x33));
        Failback.Result r = failback();
        assertNull(r.divergedVolume());
        assertEquals(1, r.tlogsShippedBack());
        assertFalse(a.namespaceExists("vm1-diverged-2"));
        ReplicaConflictException again = assertThrows(ReplicaConflictException.class, this::failback);
        assertTrue(again.getMessage().contains("was not promoted"), again.getMessage());
    }

    @Test
    void aDifferentVolumeOnTheOldSiteIsRefused() {
        ReplicationJobTest.history(a, "vm1", 1, 22, tmp);
        replicate();
        Promotion.promote(b, "vm1");
        a.deleteNamespace("vm1");
        ReplicationJobTest.history(a, "vm1", 1, 23, tmp);
        ReplicaRoles.identity(a, "vm1", true);
        ReplicaConflictException e = assertThrows(ReplicaConflictException.class, this::failback);
        assertTrue(e.getMessage().contains("a:vm1 holds a different volume of the same name"), e.getMessage());
    }
}
