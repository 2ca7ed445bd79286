package io.scoria.it.replication;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import io.scoria.backend.testing.ByteSearch;
import io.scoria.backend.transform.KeyDestroyedException;
import io.scoria.backend.transform.KeyRing;
import io.scoria.distributor.config.BackendConfig;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.nbd.Command;
import io.scoria.it.replication.TwoSites.Router;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.manifest.VolumeManifestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replication of a compressed and encrypted volume between two s3proxy sites whose configs name
 * one key-ring directory and one key-encryption key: router A writes the volume over NBD,
 * {@code scoria-replicate run --once} ships it, router B serves the replica and reads it back byte
 * for byte, and B's backend holds no plaintext. Then the volume is deleted on A (its data key
 * destroyed): B's copy, still on B's backend, opens for nobody, a restarted router B included.
 */
class EncryptedReplicationIT {
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

    /** {@code backend} (a YAML flow map) with {@code transform} (", transform: {...}}") in place of its closing brace. */
    private static String withTransform(String backend, String transform) {
        assertTrue(backend.endsWith("}"), backend);
        return backend.substring(0, backend.length() - 1) + transform;
    }

    private static ObjectStore open(Path routerConfig) {
        return ConfigReader.read(routerConfig).section("backend", BackendConfig.class).open();
    }

    private static ObjectStore openRaw(Path routerConfig) {
        return ConfigReader.read(routerConfig).section("backend", BackendConfig.class).openUntransformed();
    }

    @Test
    void aSiteSharingTheKeyRingReadsTheReplicaAndTheSourcesDeleteShredsIt() throws Exception {
        S3ProxyServer siteA = sites.site("enc-a");
        S3ProxyServer siteB = sites.site("enc-b");
        byte[] kek = new byte[32];
        new SecureRandom().nextBytes(kek);
        Path kekFile = Files.writeString(dir.resolve("scoria.kek"), Base64.getEncoder().encodeToString(kek) + "\n");
        String transform = ", transform: {compression: lz4, encryption: aes-256-gcm, keyEncryptionKey: {file: " + kekFile
                + "}, keyring: " + dir.resolve("keyring") + "}}";
        String backendA = withTransform(TwoSites.backend(siteA), transform);
        String backendB = withTransform(TwoSites.backend(siteB), transform);
        Path repl = sites.replConfig(backendA, backendB, "parallelism: 2");

        Router routerA = sites.serve("a-data", backendA);
        Path configA = dir.resolve("a-data.yaml");
        Path configB = dir.resolve("b-data.yaml");
        sites.createVolume(routerA, "vm1", "32MiB");
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < (6 << 20); i++) {
            text.append(String.format("replicated plaintext line %08d%n", i));
        }
        byte[] image = Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), 6 << 20);
        Path file = Files.write(dir.resolve("image.raw"), image);
        Command.run(180, "nbdcopy", file.toString(), "nbd://127.0.0.1:" + routerA.nbdPort() + "/vm1").ok();
        assertEquals(201, sites.api(routerA, "POST", "/v1/volumes/vm1/snapshots", "{\"name\":\"s1\"}").statusCode());
        try (ObjectStore a = open(configA)) {
            TwoSites.await(Duration.ofSeconds(60), "snapshot s1 is on site A's backend", () ->
                    new VolumeManifestStore(a).readLatest("vm1").orElseThrow().snapshot("s1") != null);
        }
        String shipped = TwoSites.finish(sites.replicate("repl-once", "run", "--once", "--config", repl.toString()), 0);
        assertTrue(shipped.contains("vm1"), shipped);

        Router routerB = sites.serve("b-data", backendB);
        assertEquals("REPLICA", sites.state(routerB, "vm1"));
        Path back = dir.resolve("back.raw");
        Command.run(180, "nbdcopy", "nbd://127.0.0.1:" + routerB.nbdPort() + "/vm1", back.toString()).ok();
        assertArrayEquals(image, Arrays.copyOf(Files.readAllBytes(back), image.length),
                "router B reads the encrypted replica byte for byte");
        byte[] line = String.format("replicated plaintext line %08d", 4321).getBytes(StandardCharsets.US_ASCII);
        String sco;
        try (ObjectStore rawB = openRaw(configB)) {
            var scos = rawB.listAll("vm1", NamespaceLayout.SCO_PREFIX);
            assertFalse(scos.isEmpty(), "the SCOs were shipped");
            assertTrue(scos.stream().noneMatch(o -> ByteSearch.contains(rawB.get("vm1", o.key()).array(), line)),
                    "B's backend holds no plaintext of the volume");
            sco = scos.get(0).key();
        }
        routerB.close();

        HttpResponse<String> deleted = sites.api(routerA, "DELETE", "/v1/volumes/vm1", null);
        assertTrue(deleted.statusCode() / 100 == 2, deleted.body());
        try (ObjectStore ring = new FsObjectStore(new FsStoreConfig(dir.resolve("keyring")))) {
            TwoSites.await(Duration.ofSeconds(60), "the delete on A destroys vm1's key-ring record",
                    () -> !ring.exists(KeyRing.DEFAULT_NAMESPACE, "volume/vm1"));
        }
        try (ObjectStore rawB = openRaw(configB); ObjectStore b = open(configB)) {
            assertTrue(rawB.exists("vm1", sco), "the replica's objects are still on B's backend");
            KeyDestroyedException e = assertThrows(KeyDestroyedException.class, () -> b.get("vm1", sco),
                    "the delete on A destroyed the data key B's copy was sealed with");
            assertTrue(e.getMessage().contains("'vm1'"), e.getMessage());
        }
        routerB = sites.serve("b-data", backendB);
        Command read = Command.run(180, "nbdcopy", "nbd://127.0.0.1:" + routerB.nbdPort() + "/vm1",
                dir.resolve("after.raw").toString());
        assertNotEquals(0, read.exitCode(), "a restarted router B cannot read the shredded replica: " + read.output());
    }
}
