package io.scoria.it.replication;

import io.scoria.backend.ObjectStore;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.nbd.Command;
import io.scoria.it.replication.TwoSites.Router;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routers and replicas, two s3proxy sites, real {@code scoria serve} processes and qemu-io: a
 * router on site B lists the replica as {@code REPLICA}, exports it read-only (a write is refused)
 * and never publishes to it, a DR test clone of its snapshot is written while {@code
 * scoria-replicate run} keeps shipping, and a restarted router shows the newly shipped history.
 * After promote on B and a fail-back, site A's router, which kept running with the volume open,
 * is fenced: its writes reach neither manifest nor data on A's backend, the volume turns
 * {@code FENCED} and refuses writes; restarted on its stale local state, it rebuilds the volume
 * from the backend and serves B's data.
 */
class ReplicaRouterIT {
    @TempDir
    Path dir;

    private TwoSites sites;

    @BeforeEach
    void setUp() {
        sites = new TwoSites(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        sites.close();
    }

    private HttpResponse<String> api(Router r, String method, String path, String body) throws Exception {
        return sites.api(r, method, path, body);
    }

    private Command qemuIo(Router r, String export, String... commands) throws Exception {
        return TwoSites.qemuIo(r, false, export, commands);
    }

    private void qemuIoOk(Router r, String export, String... commands) throws Exception {
        TwoSites.qemuIoOk(r, false, export, commands);
    }

    private void readOnlyOk(Router r, String export, String... commands) throws Exception {
        TwoSites.qemuIoOk(r, true, export, commands);
    }

    /** The export refused the write: as read-only when qemu-io opened it, or EPERM on the write. */
    private static boolean refusedWrite(Command c) {
        String out = c.output();
        return out.contains("Permission denied") || out.contains("Operation not permitted") || out.contains("read-only");
    }

    private static long generation(ObjectStore store, String ns) {
        return new VolumeManifestStore(store).readLatest(ns).orElseThrow().generation();
    }

    @Test
    void aReplicaIsReadOnlyAtTheDrSiteAndTheOldPrimaryIsFencedAfterFailback() throws Exception {
        S3ProxyServer siteA = sites.site("rr-a");
        S3ProxyServer siteB = sites.site("rr-b");
        ObjectStore a = sites.store(siteA);
        ObjectStore b = sites.store(siteB);
        Path cfg = sites.replConfig(siteA, siteB, "parallelism: 2, pollInterval: 1s");

        Router routerA = sites.serve("a-data", siteA);
        assertEquals(201, api(routerA, "POST", "/v1/volumes", "{\"name\":\"vm1\",\"size\":\"64MiB\"}").statusCode());
        qemuIoOk(routerA, "vm1", "write -P 0x11 0 8M");
        assertEquals(201, api(routerA, "POST", "/v1/volumes/vm1/snapshots", "{\"name\":\"s1\"}").statusCode());
        TwoSites.await(Duration.ofSeconds(60), "snapshot s1 is on site A's backend", () ->
                new VolumeManifestStore(a).readLatest("vm1").orElseThrow().snapshot("s1") != null);
        ManagedProcess job = sites.replicate("repl-continuous", "run", "--config", cfg.toString());
        TwoSites.await(Duration.ofSeconds(120), "s1 is shipped to B", () -> b.namespaceExists("vm1")
                && new VolumeManifestStore(b).readLatest("vm1").map(m -> m.snapshot("s1") != null).orElse(false));

        // the DR site: listed as a replica, read-only, never published to by its router
        Router routerB = sites.serve("b-data", siteB);
        assertEquals("REPLICA", sites.state(routerB, "vm1"));
        readOnlyOk(routerB, "vm1", "read -P 0x11 0 8M");
        Command refused = qemuIo(routerB, "vm1", "write -P 0x99 0 64k");
        assertTrue(refusedWrite(refused), "a write to the replica is refused: " + refused.output());
        readOnlyOk(routerB, "vm1", "read -P 0x11 0 64k");
        HttpResponse<String> snap = api(routerB, "POST", "/v1/volumes/vm1/snapshots", "{\"name\":\"x\"}");
        assertEquals(409, snap.statusCode(), snap.body());

        // a DR test clone while replication goes on
        HttpResponse<String> clone = api(routerB, "POST", "/v1/volumes/vm1/clones", "{\"name\":\"vm1-drtest\",\"snapshot\":\"s1\"}");
        assertEquals(201, clone.statusCode(), clone.body());
        qemuIoOk(routerB, "vm1-drtest", "write -P 0x22 1M 1M", "read -P 0x11 0 1M", "read -P 0x22 1M 1M");
        long shippedBefore = generation(b, "vm1");
        qemuIoOk(routerA, "vm1", "write -P 0x33 16M 4M");
        assertEquals(201, api(routerA, "POST", "/v1/volumes/vm1/snapshots", "{\"name\":\"s2\"}").statusCode());
        TwoSites.await(Duration.ofSeconds(120), "s2 is shipped to B while the clone is served", () ->
                new VolumeManifestStore(b).readLatest("vm1").map(m -> m.snapshot("s2") != null).orElse(false));
        assertTrue(generation(b, "vm1") > shippedBefore);
        qemuIoOk(routerB, "vm1-drtest", "read -P 0x11 0 1M", "read -P 0x22 1M 1M", "read -P 0 16M 4M");
        routerB.close();
        routerB = sites.serve("b-data", siteB);
        readOnlyOk(routerB, "vm1", "read -P 0x11 0 8M", "read -P 0x33 16M 4M");
        assertEquals(ReplicationState.Role.REPLICA, ReplicationState.read(b, "vm1").orElseThrow().role());
        routerB.close();
        job.close();

        // promote on B (site A is cut off but its router keeps running), B writes, fail back
        String promoted = TwoSites.finish(sites.replicate("repl-promote", "promote", "vm1", "--config", cfg.toString()), 0);
        assertTrue(promoted.contains("promoted vm1"), promoted);
        routerB = sites.serve("b-data", siteB);
        assertEquals("OK", sites.state(routerB, "vm1"));
        qemuIoOk(routerB, "vm1", "write -P 0x66 2M 2M");
        routerB.close();
        String back = TwoSites.finish(sites.replicate("repl-failback", "failback", "vm1", "--config", cfg.toString()), 0);
        assertTrue(back.contains("is the primary again"), back);
        VolumeManifest failedBack = new VolumeManifestStore(a).readLatest("vm1").orElseThrow();

        // A's router still has vm1 open: its next uploads (the SCOs this write seals) meet the changed
        // state and stop; the part of the write after the fence trips is refused
        Command late = qemuIo(routerA, "vm1", "write -P 0x77 24M 4M");
        assertTrue(late.exitCode() == 0 || refusedWrite(late), "a write accepted or refused by the fence: " + late.output());
        Router stale = routerA;
        TwoSites.await(Duration.ofSeconds(60), "site A's router fences vm1", () -> sites.state(stale, "vm1").equals("FENCED"));
        Command fenced = qemuIo(routerA, "vm1", "write -P 0x78 0 64k");
        assertTrue(refusedWrite(fenced), "a write to the fenced volume is refused: " + fenced.output());
        VolumeManifest after = new VolumeManifestStore(a).readLatest("vm1").orElseThrow();
        assertEquals(failedBack.generation(), after.generation(), "the fenced router published nothing over the fail-back");
        assertEquals(failedBack.allTlogs(), after.allTlogs());
        routerA.close();

        // restarted on its stale local state, A's router rebuilds vm1 from the backend: B's data, not its own
        routerA = sites.serve("a-data", siteA);
        assertEquals("OK", sites.state(routerA, "vm1"));
        qemuIoOk(routerA, "vm1", "read -P 0x66 2M 2M", "read -P 0x11 0 2M", "read -P 0x33 16M 4M", "read -P 0 24M 4M");
        try (var aside = Files.list(routerA.dataDir().resolve("flash").resolve("diverged"))) {
            assertTrue(aside.anyMatch(p -> p.getFileName().toString().startsWith("vm1-")), "the stale local state is kept aside");
        }
        qemuIoOk(routerA, "vm1", "write -P 0x88 30M 1M");
        assertEquals(201, api(routerA, "POST", "/v1/volumes/vm1/snapshots", "{\"name\":\"s3\"}").statusCode());
        TwoSites.await(Duration.ofSeconds(60), "the rebuilt volume publishes again", () -> generation(a, "vm1") > failedBack.generation());
        assertNotEquals("FENCED", sites.state(routerA, "vm1"));
    }
}
