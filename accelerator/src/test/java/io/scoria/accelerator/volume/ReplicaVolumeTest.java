package io.scoria.accelerator.volume;

import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.ReplicationFencedException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A router and the replication roles of FORMATS.md ("Replication state"): a REPLICA namespace is
 * listed as such, served read-only, never uploaded to, rebuilt with the newest shipped history at
 * every open, and clonable for a DR test while shipping goes on; a writable volume whose state
 * changes (promote, fail-back) or whose manifest another writer publishes is fenced; a volume whose
 * backend history moved on without this router is rebuilt from the backend. The "replication job"
 * here copies the namespace's objects from one in-memory store to another as the replicator
 * would (objects, then the manifest).
 */
class ReplicaVolumeTest {
    private static final int CLUSTER = 4096;
    private static final int SCO = 1 << 20;
    private static final long SIZE = 16 << 20;
    private static final String EPOCH_ONE_ID = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path tmp;

    private EngineConfig config(String node) {
        return EngineConfig.defaults(tmp.resolve(node)).withRetry(Duration.ofMillis(5), Duration.ofMillis(50));
    }

    /** Ships {@code ns} as the replicator does: SCOs and TLogs first, the newest manifest last, then the REPLICA state. */
    private static void ship(ObjectStore from, ObjectStore to, String ns, String volumeId) {
        if (!to.namespaceExists(ns)) {
            to.createNamespace(ns);
        }
        for (ObjectInfo o : from.listAll(ns, "")) {
            if (!o.key().startsWith("manifest/") && !o.key().startsWith("replication/")) {
                to.put(ns, o.key(), from.get(ns, o.key()));
            }
        }
        VolumeManifest m = new VolumeManifestStore(from).readLatest(ns).orElseThrow();
        VolumeManifestStore target = new VolumeManifestStore(to);
        long gen = Math.max(m.generation(), target.readLatest(ns).map(x -> x.generation() + 1).orElse(1L));
        target.publish(ns, m.withGeneration(gen));
        to.put(ns, ReplicationState.KEY, ReplicationState.newReplica(volumeId, 1).encode());
    }

    private static void fill(LocalVolume v, long offset, int bytes, int value) {
        byte[] b = new byte[bytes];
        Arrays.fill(b, (byte) value);
        v.write(offset, ByteBuffer.wrap(b), false);
    }

    private static byte[] read(LocalVolume v, long offset, int bytes) {
        byte[] b = new byte[bytes];
        v.read(offset, ByteBuffer.wrap(b));
        return b;
    }

    private static byte[] filled(int bytes, int value) {
        byte[] b = new byte[bytes];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void aReplicaIsReadOnlyShowsNewHistoryWhenReopenedAndClonesForADrTest() {
        InMemoryObjectStore siteA = new InMemoryObjectStore("a");
        InMemoryObjectStore siteB = new InMemoryObjectStore("b");
        try (LocalVolumeService a = new LocalVolumeService(siteA, config("a"))) {
            String id = a.create("vm1", new VolumeSpec(SIZE, CLUSTER, SCO)).volumeId();
            LocalVolume va = a.open("vm1");
            fill(va, 0, 64 << 10, 0x11);
            va.snapshot("s1");
            assertTrue(va.awaitUploads(Duration.ofSeconds(30)));
            ship(siteA, siteB, "vm1", id);

            try (LocalVolumeService b = new LocalVolumeService(siteB, config("b"))) {
                VolumeInfo listed = b.list().get(0);
                assertEquals("REPLICA", listed.state(), "volume list shows the replica");
                LocalVolume r = b.open("vm1");
                assertTrue(r.isReadOnly() && r.isReplica());
                assertArrayEquals(filled(64 << 10, 0x11), read(r, 0, 64 << 10));
                long published = new VolumeManifestStore(siteB).readLatest("vm1").orElseThrow().generation();
                ReadOnlyVolumeException refused = assertThrows(ReadOnlyVolumeException.class, () -> fill(r, 0, 4096, 0x22));
                assertTrue(refused.getMessage().contains("replica"), refused.getMessage());
                assertThrows(ReadOnlyVolumeException.class, () -> r.snapshot("nope"));
                assertThrows(ReadOnlyVolumeException.class, r::sync);
                assertThrows(ReadOnlyVolumeException.class, () -> b.delete("vm1"));

                // a DR test clone of the replica's snapshot, while shipping goes on
                b.clone("vm1", "s1", "vm1-drtest");
                LocalVolume c = b.open("vm1-drtest");
                fill(c, 4096, 4096, 0x33);
                fill(va, 0, 4096, 0x44);
                va.snapshot("s2");
                assertTrue(va.awaitUploads(Duration.ofSeconds(30)));
                ship(siteA, siteB, "vm1", id);

                b.closeVolume("vm1");
                assertFalse(Files.exists(b.config().dataDir().resolve("volumes").resolve("vm1")),
                        "a closed replica keeps no local state");
                LocalVolume again = b.open("vm1");
                assertArrayEquals(filled(4096, 0x44), read(again, 0, 4096), "the reopened replica shows the newly shipped history");
                assertArrayEquals(filled(4096, 0x11), read(c, 0, 4096), "the clone keeps the snapshot it was made from");
                assertArrayEquals(filled(4096, 0x33), read(c, 4096, 4096));
                assertTrue(c.awaitUploads(Duration.ofSeconds(30)));
                b.closeVolume("vm1");
                long republished = new VolumeManifestStore(siteB).readLatest("vm1").orElseThrow().generation();
                assertEquals(published + 1, republished, "only the shipping published the replica's manifest, the router never");
                assertEquals("OK", b.info("vm1-drtest").orElseThrow().state());
            }
        }
    }

    @Test
    void aChangedReplicationStateFencesTheVolume() {
        InMemoryObjectStore site = new InMemoryObjectStore("a");
        try (LocalVolumeService a = new LocalVolumeService(site, config("a"))) {
            a.create("vm1", new VolumeSpec(SIZE, CLUSTER, SCO));
            LocalVolume v = a.open("vm1");
            fill(v, 0, 8192, 0x11);
            v.sync();
            assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
            long before = new VolumeManifestStore(site).readLatest("vm1").orElseThrow().generation();

            // a fail-back over this site (or a promote of this site's replica) changes the state
            site.put("vm1", ReplicationState.KEY, new ReplicationState(ReplicationState.FORMAT_VERSION, EPOCH_ONE_ID,
                    ReplicationState.Role.PRIMARY, 1, 0, before + 5, 1).encode());
            fill(v, 8192, 8192, 0x22);
            v.sync();
            assertTrue(v.awaitUploads(Duration.ofSeconds(30)), "the fenced volume's uploads are dropped, not retried for ever");
            assertNotNull(v.fenced());
            assertEquals(before, new VolumeManifestStore(site).readLatest("vm1").orElseThrow().generation(),
                    "nothing published after the state changed");
            assertFalse(site.exists("vm1", io.scoria.sco.NamespaceLayout.tlogKey(v.manifest().lastRouterTlog())),
                    "the TLog written after the change is not uploaded");
            ReplicationFencedException e = assertThrows(ReplicationFencedException.class, () -> fill(v, 0, 4096, 0x33));
            assertTrue(e.getMessage().contains("replication state changed"), e.getMessage());
            assertTrue(v.isReadOnly());
            assertEquals("FENCED", a.info("vm1").orElseThrow().state());
        }
    }

    @Test
    void aManifestAnotherWriterPublishedFencesTheVolume() {
        InMemoryObjectStore site = new InMemoryObjectStore("a");
        try (LocalVolumeService a = new LocalVolumeService(site, config("a"))) {
            a.create("vm1", new VolumeSpec(SIZE, CLUSTER, SCO));
            LocalVolume v = a.open("vm1");
            fill(v, 0, 8192, 0x11);
            v.sync();
            assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
            VolumeManifestStore manifests = new VolumeManifestStore(site);
            VolumeManifest theirs = manifests.readLatest("vm1").orElseThrow();
            // another writer's history: the same volume with other TLogs, one generation up
            manifests.publish("vm1", theirs.withHistory(theirs.snapshots(), java.util.List.of(77L))
                    .withGeneration(theirs.generation() + 1));
            fill(v, 8192, 8192, 0x22);
            v.sync();
            assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
            assertNotNull(v.fenced(), "a publish that met another writer's generation fences the volume");
            assertTrue(v.fenced().getMessage().contains("another writer"), v.fenced().getMessage());
            assertEquals(java.util.List.of(77L), manifests.readLatest("vm1").orElseThrow().allTlogs(),
                    "the other writer's manifest is not published over");
            assertThrows(ReplicationFencedException.class, () -> fill(v, 0, 4096, 0x33));
        }
    }

    @Test
    void aVolumeWhoseBackendHistoryDivergedIsRebuiltFromTheBackend() throws Exception {
        InMemoryObjectStore site = new InMemoryObjectStore("a");
        LocalVolumeService a = new LocalVolumeService(site, config("a"));
        a.create("vm1", new VolumeSpec(SIZE, CLUSTER, SCO));
        LocalVolume v = a.open("vm1");
        fill(v, 0, 8192, 0x11);
        v.sync();
        assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
        // this router's local state moves on without reaching the backend (its site went down while writing)
        fill(v, 4096, 4096, 0x77);
        v.flush();
        a.crash();
        // another site's history lands on this backend (a fail-back): opened elsewhere, written, published;
        // its TLog and SCO numbers are those the stale local state used too
        try (LocalVolumeService other = new LocalVolumeService(site, config("b"))) {
            LocalVolume w = other.open("vm1");
            fill(w, 0, 4096, 0x55);
            w.sync();
            assertTrue(w.awaitUploads(Duration.ofSeconds(30)));
        }
        try (LocalVolumeService stale = new LocalVolumeService(site, config("a"))) {
            Path aside = stale.config().dataDir().resolve("diverged");
            LocalVolume back = stale.open("vm1");
            assertArrayEquals(filled(4096, 0x55), read(back, 0, 4096), "the backend's history is served, not the stale local one");
            assertArrayEquals(filled(4096, 0x11), read(back, 4096, 4096), "the stale local write is not replayed");
            try (var dirs = Files.list(aside)) {
                Path kept = dirs.filter(d -> d.getFileName().toString().startsWith("vm1-")).findFirst().orElseThrow();
                assertTrue(Files.exists(kept.resolve("volume.json")), "the stale local state is kept aside for inspection");
            }
            fill(back, 8192, 4096, 0x66);
            back.sync();
            assertTrue(back.awaitUploads(Duration.ofSeconds(30)));
            assertEquals(null, back.fenced(), "the rebuilt volume publishes normally");
        }
    }

    @Test
    void aCleanRestartIsNotTakenForADivergence() {
        InMemoryObjectStore site = new InMemoryObjectStore("a");
        LocalVolumeService a = new LocalVolumeService(site, config("a"));
        a.create("vm1", new VolumeSpec(SIZE, CLUSTER, SCO));
        LocalVolume v = a.open("vm1");
        fill(v, 0, 8192, 0x11);
        v.sync();
        assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
        fill(v, 8192, 4096, 0x22); // only on local flash
        a.crash();
        try (LocalVolumeService again = new LocalVolumeService(site, config("a"))) {
            LocalVolume w = again.open("vm1");
            assertArrayEquals(filled(4096, 0x22), read(w, 8192, 4096), "local writes are replayed after a restart");
            assertFalse(Files.exists(again.config().dataDir().resolve("diverged")));
        }
    }

    @Test
    void aRestartWhileTheBackendIsDownUsesTheStateSeenLastAndTheFirstUploadAfterItTrips() {
        InMemoryObjectStore site = new InMemoryObjectStore("a");
        FaultInjectingStore store = new FaultInjectingStore(site);
        LocalVolumeService a = new LocalVolumeService(store, config("a"));
        String id = a.create("vm1", new VolumeSpec(SIZE, CLUSTER, SCO)).volumeId();
        LocalVolume v = a.open("vm1");
        fill(v, 0, 8192, 0x11);
        v.sync();
        assertTrue(v.awaitUploads(Duration.ofSeconds(30)));
        VolumeManifest before = new VolumeManifestStore(site).readLatest("vm1").orElseThrow();
        a.crash();
        // while this router is down and cut off, another site fails the volume back over this one
        site.put("vm1", ReplicationState.KEY, ReplicationState.newReplica(id, 1).withRole(ReplicationState.Role.PRIMARY, 0).encode());
        store.down(true);
        try (LocalVolumeService again = new LocalVolumeService(store, config("a"))) {
            LocalVolume w = again.open("vm1");
            assertArrayEquals(filled(8192, 0x11), read(w, 0, 8192), "restarted from local flash without the backend");
            fill(w, 8192, SCO, 0x22);
            store.down(false);
            w.sync();
            assertTrue(w.awaitUploads(Duration.ofSeconds(30)));
            assertNotNull(w.fenced(), "the first upload after the restart compares with the state seen before it");
            assertThrows(ReplicationFencedException.class, () -> fill(w, 0, 4096, 0x33));
            assertEquals(before.generation(), new VolumeManifestStore(site).readLatest("vm1").orElseThrow().generation(),
                    "nothing published over the other site's history");
        }
    }
}
