package io.scoria.it.replication;

import io.scoria.backend.ObjectStore;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.harness.SwiftAllInOne;
import io.scoria.it.nbd.Command;
import io.scoria.it.replication.TwoSites.Router;
import io.scoria.sco.manifest.VolumeManifestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replication across backend kinds: a volume written over NBD by {@code scoria serve} on an
 * s3proxy site is shipped in snapshot mode to a Swift all-in-one (native API, TempAuth), verified
 * by checksums, and opened by a router on Swift: listed as a replica, exported read-only, every
 * byte up to the snapshot read back and nothing written after it.
 */
class SwiftReplicaIT {
    @TempDir
    Path dir;

    private TwoSites sites;
    private SwiftAllInOne swift;

    @BeforeEach
    void setUp() {
        sites = new TwoSites(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        sites.close();
        if (swift != null) {
            swift.close();
        }
    }

    private String swiftBackend() {
        return "{type: swift, swift: {authUrl: " + swift.authUrl() + ", user: " + SwiftAllInOne.USER + ", key: "
                + SwiftAllInOne.KEY + "}}";
    }

    @Test
    void aVolumeOnS3ProxyIsReplicatedToSwiftAndReadThereReadOnly() throws Exception {
        swift = SwiftAllInOne.start();
        S3ProxyServer siteA = sites.site("to-swift-a");
        ObjectStore a = sites.store(siteA);
        Router routerA = sites.serve("a-data", siteA);
        sites.createVolume(routerA, "vm1", "32MiB");
        TwoSites.qemuIoOk(routerA, false, "vm1", "write -P 0x31 0 6M", "write -P 0x32 6M 2M");
        HttpResponse<String> snap = sites.api(routerA, "POST", "/v1/volumes/vm1/snapshots", "{\"name\":\"s1\"}");
        assertEquals(201, snap.statusCode(), snap.body());
        TwoSites.await(Duration.ofSeconds(60), "snapshot s1 reaches site A's backend",
                () -> new VolumeManifestStore(a).readLatest("vm1").map(m -> m.snapshot("s1") != null).orElse(false));
        TwoSites.qemuIoOk(routerA, false, "vm1", "write -P 0x33 8M 1M");
        routerA.close();

        Path cfg = sites.replConfig(TwoSites.backend(siteA), swiftBackend(), "parallelism: 2, mode: snapshot");
        String run = TwoSites.finish(sites.replicate("repl-swift", "run", "--config", cfg.toString(), "--once"), 0);
        assertTrue(run.contains("vm1: manifest generation"), run);
        String verify = TwoSites.finish(sites.replicate("repl-swift-verify", "verify", "--config", cfg.toString()), 0);
        assertTrue(verify.contains("verify vm1") && verify.contains(": OK"), verify);

        Router onSwift = sites.serve("swift-data", swiftBackend());
        assertEquals("REPLICA", sites.state(onSwift, "vm1"));
        TwoSites.qemuIoOk(onSwift, true, "vm1", "read -P 0x31 0 6M", "read -P 0x32 6M 2M", "read -P 0 8M 1M");
        Command write = TwoSites.qemuIo(onSwift, false, "vm1", "write -P 0x99 0 64k");
        String out = write.output();
        assertTrue(out.contains("Permission denied") || out.contains("Operation not permitted") || out.contains("read-only"),
                "a write to the replica on Swift is refused: " + out);
        TwoSites.qemuIoOk(onSwift, true, "vm1", "read -P 0x31 0 64k");
        System.out.println("Swift replica: " + run.lines().filter(l -> l.contains("vm1: manifest")).findFirst().orElse("")
                + " / " + verify.lines().filter(l -> l.contains("verify vm1")).findFirst().orElse(""));
    }
}
