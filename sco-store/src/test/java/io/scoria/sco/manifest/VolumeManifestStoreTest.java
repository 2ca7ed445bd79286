package io.scoria.sco.manifest;

import io.scoria.backend.PreconditionFailedException;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.VolumeManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VolumeManifestStoreTest {
    private static VolumeManifest sample() {
        return VolumeManifest.create("vol1", new VolumeManifest.Config(1 << 30, 4096, 4 << 20, "vol1"))
                .withTlog(1).withTlog(2).withSnapshot("s1", 1, 1000).withTlog(3)
                .withParent(new VolumeManifest.Parent("base", "base", "gold", 4)).withTemplate(true);
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        VolumeManifest m = sample();
        String json = new String(VolumeManifestStore.toJson(m), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"schemaVersion\" : 3"), json);
        assertTrue(json.contains("\"volumeId\" : \"" + m.volumeId() + "\""), json);
        assertTrue(json.contains("\"project\" : \"default\""), json);
        assertEquals(m, VolumeManifestStore.fromJson(json.getBytes(StandardCharsets.UTF_8), "x"));
        assertEquals(List.of(1L, 2L), m.tlogsThrough("s1"));
        assertEquals(List.of(1L, 2L, 3L), m.allTlogs());
    }

    /** A manifest of schema version 1 (before volume ids) is read, upgraded in memory, and keeps no id. */
    @Test
    void schemaVersionOneIsReadWithoutAVolumeId() {
        String v1 = "{\"schemaVersion\": 1, \"generation\": 7, \"name\": \"vm1\", \"config\": {\"sizeBytes\": 1073741824, "
                + "\"clusterSize\": 4096, \"scoSize\": 4194304, \"namespace\": \"vm1\"}, \"parent\": null, \"template\": false, "
                + "\"snapshots\": [{\"name\": \"s1\", \"id\": 1, \"createdMillis\": 1700000000000, \"tlogs\": [1, 2], "
                + "\"scrubbed\": false}], \"currentTlogs\": [3], \"nextScoNumber\": 9, \"nextTlogNumber\": 4, "
                + "\"nextSnapshotId\": 2}";
        VolumeManifest m = VolumeManifestStore.fromJson(v1.getBytes(StandardCharsets.UTF_8), "v1");
        assertEquals(VolumeManifest.SCHEMA_VERSION, m.schemaVersion());
        assertEquals(null, m.volumeId());
        assertEquals(VolumeManifest.DEFAULT_PROJECT, m.project());
        assertEquals(List.of(1L, 2L, 3L), m.allTlogs());
        assertThrows(ScoFormatException.class, () -> VolumeManifestStore.fromJson(v1.replace("\"generation\"",
                "\"volumeId\": \"00112233445566778899aabbccddeeff\", \"generation\"").getBytes(StandardCharsets.UTF_8), "v1"),
                "version 1 has no volumeId");
        assertThrows(ScoFormatException.class, () -> VolumeManifestStore.fromJson(v1.replace("\"schemaVersion\": 1",
                "\"schemaVersion\": 2, \"volumeId\": \"not-hex\"").getBytes(StandardCharsets.UTF_8), "bad"));
    }

    /**
     * A manifest of schema version 2 (before projects) reads as project {@code default} and is written as version 3
     * with it; a version 3 manifest keeps its project through every change and a round trip; a version 2 document
     * that carries a project, a version 3 one without, or a bad project name is refused.
     */
    @Test
    void schemaVersionTwoReadsAsProjectDefaultAndVersionThreeKeepsTheProject() {
        String v2 = "{\"schemaVersion\": 2, \"generation\": 7, \"name\": \"vm1\", \"config\": {\"sizeBytes\": 1073741824, "
                + "\"clusterSize\": 4096, \"scoSize\": 4194304, \"namespace\": \"vm1\"}, \"parent\": null, \"template\": false, "
                + "\"snapshots\": [], \"currentTlogs\": [3], \"nextScoNumber\": 9, \"nextTlogNumber\": 4, "
                + "\"nextSnapshotId\": 2, \"volumeId\": \"00112233445566778899aabbccddeeff\"}";
        VolumeManifest old = VolumeManifestStore.fromJson(v2.getBytes(StandardCharsets.UTF_8), "v2");
        assertEquals(VolumeManifest.SCHEMA_VERSION, old.schemaVersion());
        assertEquals("default", old.project());
        assertEquals("00112233445566778899aabbccddeeff", old.volumeId());
        String rewritten = new String(VolumeManifestStore.toJson(old.withTlog(4)), StandardCharsets.UTF_8);
        assertTrue(rewritten.contains("\"schemaVersion\" : 3") && rewritten.contains("\"project\" : \"default\""), rewritten);

        VolumeManifest.Config c = new VolumeManifest.Config(1 << 30, 4096, 4 << 20, "vm2");
        VolumeManifest m = VolumeManifest.create("vm2", c, "team-a").withGeneration(1).withTlog(1)
                .withSnapshot("s1", 1, 0).withTemplate(true).withSize(2L << 30).withCounters(2, 2, 2)
                .withParent(new VolumeManifest.Parent("gold", "gold", "v1", 1));
        assertEquals("team-a", m.project());
        VolumeManifest back = VolumeManifestStore.fromJson(VolumeManifestStore.toJson(m), "v3");
        assertEquals(m, back);
        assertEquals("team-a", back.project());

        assertThrows(ScoFormatException.class, () -> VolumeManifestStore.fromJson(v2.replace("\"generation\"",
                "\"project\": \"team-a\", \"generation\"").getBytes(StandardCharsets.UTF_8), "v2"), "version 2 has no project");
        assertThrows(ScoFormatException.class, () -> VolumeManifestStore.fromJson(v2.replace("\"schemaVersion\": 2",
                "\"schemaVersion\": 3").getBytes(StandardCharsets.UTF_8), "v3"), "version 3 names its project");
        ScoFormatException bad = assertThrows(ScoFormatException.class, () -> VolumeManifestStore.fromJson(v2.replace(
                "\"schemaVersion\": 2", "\"schemaVersion\": 3, \"project\": \"Team_A\"").getBytes(StandardCharsets.UTF_8), "v3"));
        assertTrue(bad.getMessage().contains("Team_A"), bad.getMessage());
        assertThrows(ScoFormatException.class, () -> VolumeManifest.create("vm3", c, "-x"));
    }

    @Test
    void newVolumesGetDistinctIds() {
        VolumeManifest.Config c = new VolumeManifest.Config(1 << 30, 4096, 4 << 20, "vol1");
        assertNotEquals(VolumeManifest.create("vol1", c).volumeId(), VolumeManifest.create("vol1", c).volumeId());
    }

    @Test
    void unknownSchemaVersionOrFieldIsRefused() {
        String json = new String(VolumeManifestStore.toJson(sample()), StandardCharsets.UTF_8);
        ScoFormatException e = assertThrows(ScoFormatException.class, () ->
                VolumeManifestStore.fromJson(json.replace("\"schemaVersion\" : 3", "\"schemaVersion\" : 9").getBytes(StandardCharsets.UTF_8), "m9"));
        assertTrue(e.getMessage().contains("schema version 9"), e.getMessage());
        assertThrows(ScoFormatException.class, () ->
                VolumeManifestStore.fromJson(json.replace("\"template\"", "\"bogus\" : 1, \"template\"").getBytes(StandardCharsets.UTF_8), "m"));
        assertThrows(ScoFormatException.class, () -> VolumeManifestStore.fromJson("{".getBytes(StandardCharsets.UTF_8), "m"));
    }

    @Test
    void publishReplacesAtomicallyByGeneration() {
        try (InMemoryObjectStore store = new InMemoryObjectStore()) {
            store.createNamespace("vol1");
            VolumeManifestStore ms = new VolumeManifestStore(store);
            assertTrue(ms.readLatest("vol1").isEmpty());
            VolumeManifest m = sample();
            for (int g = 1; g <= 6; g++) {
                ms.publish("vol1", m.withGeneration(g).withCounters(g, g, g));
            }
            VolumeManifest latest = ms.readLatest("vol1").orElseThrow();
            assertEquals(6, latest.generation());
            assertEquals(6, latest.nextScoNumber());
            assertEquals(VolumeManifestStore.KEEP, store.listAll("vol1", NamespaceLayout.MANIFEST_PREFIX).size());
            // a second writer of the same generation loses (put-if-absent)
            assertThrows(PreconditionFailedException.class, () -> ms.publish("vol1", m.withGeneration(6)));
            // a garbage object that is not a manifest key is ignored
            store.put("vol1", "manifest/zzz", ByteBuffer.wrap(new byte[]{1}));
            assertEquals(6, ms.readLatest("vol1").orElseThrow().generation());
        }
    }

    @Test
    void aPublishDeletesOneOldGenerationAndSweepsLeftoversEverySixteenth() {
        io.scoria.backend.metering.RequestLedger ledger = new io.scoria.backend.metering.RequestLedger();
        try (InMemoryObjectStore mem = new InMemoryObjectStore();
             io.scoria.backend.metering.CountingObjectStore store = new io.scoria.backend.metering.CountingObjectStore(mem, "mem", ledger)) {
            store.createNamespace("vol1");
            VolumeManifestStore ms = new VolumeManifestStore(store);
            VolumeManifest m = sample();
            for (int g = 1; g <= 6; g++) {
                ms.publish("vol1", m.withGeneration(g));
            }
            // generation 2 survived, as if its delete had failed
            mem.put("vol1", NamespaceLayout.manifestKey(2), ByteBuffer.wrap(VolumeManifestStore.toJson(m.withGeneration(2))));
            for (int g = 7; g <= 15; g++) {
                long before = ledger.counts("mem", "vol1").deletes();
                ms.publish("vol1", m.withGeneration(g));
                assertEquals(1, ledger.counts("mem", "vol1").deletes() - before, "DELETEs of publish " + g);
            }
            assertTrue(mem.exists("vol1", NamespaceLayout.manifestKey(2)));
            ms.publish("vol1", m.withGeneration(16));
            assertEquals(VolumeManifestStore.KEEP, mem.listAll("vol1", NamespaceLayout.MANIFEST_PREFIX).size());
        }
    }

    @Test
    void restrictedToHidesTlogsNotYetUploaded() {
        VolumeManifest m = VolumeManifest.create("v", new VolumeManifest.Config(1 << 20, 4096, 1 << 20, "v"))
                .withTlog(1).withTlog(2).withSnapshot("a", 1, 0).withTlog(3).withSnapshot("b", 2, 0).withTlog(4);
        VolumeManifest r = m.restrictedTo(2);
        assertEquals(List.of("a"), r.snapshots().stream().map(VolumeManifest.Snapshot::name).toList());
        assertEquals(List.of(), r.currentTlogs());
        VolumeManifest r1 = m.restrictedTo(1);
        assertEquals(List.of(), r1.snapshots());
        assertEquals(List.of(1L), r1.currentTlogs());
        assertEquals(m.withGeneration(0), m.restrictedTo(4));
    }

    @Test
    void localFileRoundTrip(@TempDir Path dir) {
        Path f = dir.resolve("manifest.json");
        VolumeManifest m = sample();
        VolumeManifestStore.writeLocal(f, m);
        assertEquals(m, VolumeManifestStore.readLocal(f).orElseThrow());
        assertTrue(VolumeManifestStore.readLocal(dir.resolve("none")).isEmpty());
    }
}
