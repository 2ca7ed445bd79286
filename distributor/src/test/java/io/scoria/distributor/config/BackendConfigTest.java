package io.scoria.distributor.config;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.distributor.store.Distributor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendConfigTest {
    private static final String ACCESS = "AKIA-ACCESS-42";
    private static final String SECRET = "s3cr3t-Value-42";
    private static final String SWIFT_KEY = "sw1ft-Key-42";
    private static final Map<String, String> ENV = Map.of("S3_ACCESS", ACCESS, "SWIFT_KEY", SWIFT_KEY);

    @TempDir
    Path tmp;

    private static BackendConfig parse(String yaml) {
        return ConfigReader.parse(yaml, "t.yaml", null).withEnv(ENV::get).section("backend", BackendConfig.class);
    }

    private static String refused(String yaml) {
        return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void relativeFsRootsResolveAgainstTheConfigFilesDirectory() throws Exception {
        Path file = Files.createDirectories(tmp.resolve("etc")).resolve("backend.yaml");
        Files.writeString(file, "backend: {type: fs, fs: {root: ../store}}\n");
        BackendConfig c = ConfigReader.read(file).section("backend", BackendConfig.class);
        try (ObjectStore store = c.open()) {
            store.createNamespace("ns1");
        }
        assertTrue(Files.isDirectory(tmp.resolve("store/ns1")));
        assertEquals("fs " + tmp.resolve("store").toAbsolutePath(), c.describe());
    }

    @Test
    void distributorOverFsStoresRoundTrips() throws Exception {
        Path file = tmp.resolve("d.yaml");
        Files.writeString(file, """
                backend:
                  type: distributor
                  distributor:
                    policy: 2+1
                    stores:
                      - {name: a, type: fs, fs: {root: a}}
                      - {name: b, fs: {root: b}}
                      - {name: c, domain: n3, fs: {root: c}}
                      - {name: d, fs: {root: d}, drain: true}
                """);
        BackendConfig c = ConfigReader.read(file).section("backend", BackendConfig.class);
        try (ObjectStore store = c.open()) {
            assertInstanceOf(Distributor.class, CountingObjectStore.underlying(store));
            store.createNamespace("ns1");
            store.put("ns1", "k", ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertEquals(3, store.get("ns1", "k").remaining());
            Distributor d = (Distributor) CountingObjectStore.underlying(store);
            assertEquals(java.util.Set.of("d"), d.status().stores().stream().filter(s -> s.draining()).map(s -> s.name())
                    .collect(java.util.stream.Collectors.toSet()), "drain: true marks the store as draining");
        }
        assertTrue(Files.isDirectory(tmp.resolve("c")));
    }

    @Test
    void badValuesNameTheKeyByItsFullPath() {
        assertTrue(refused("backend: {type: nfs}").startsWith("t.yaml: backend.type: must be one of"));
        assertEquals("t.yaml: backend.s3: is required when type is s3", refused("backend: {type: s3}"));
        assertEquals("t.yaml: backend.s3.secretKey: accessKey and secretKey go together",
                refused("backend: {type: s3, s3: {endpoint: 'http://x:1', accessKey: a}}"));
        assertTrue(refused("backend: {type: s3, s3: {acessKey: a}}")
                .startsWith("t.yaml: backend.s3.acessKey: unknown key (known keys: accessKey, "));
        assertTrue(refused("backend: {type: distributor, distributor: {policy: 4+2, stores: [{name: a, fs: {root: a}}]}}")
                .contains("backend.distributor.stores: policy 4+2 needs at least 6 stores"));
        assertTrue(refused("backend: {type: distributor, distributor: {policy: 1+1, stores: [{name: a, fs: {root: a}},"
                + " {name: b, fs: {root: b}, drain: true}]}}")
                .contains("backend.distributor.stores: policy 1+1 needs at least 2 stores that are not being drained, 1 are left"));
        assertEquals("t.yaml: backend.swift.key: is required",
                refused("backend: {type: swift, swift: {authUrl: 'http://h/auth/v1.0', user: u}}"));
        assertTrue(refused("backend: {type: fs, fs: {root: x, rooot: y}}").startsWith("t.yaml: backend.fs.rooot: unknown key"));
        assertEquals("t.yaml: backend.distributor.stores[1].s3.secretKey: accessKey and secretKey go together",
                refused("backend: {type: distributor, distributor: {policy: 1+1, stores: [{name: a, fs: {root: a}},"
                        + " {name: b, type: s3, s3: {accessKey: a}}]}}"));
        assertEquals("t.yaml: backend.distributor.stores[0].fs: is required when type is fs",
                refused("backend: {type: distributor, distributor: {policy: 1+0, stores: [{name: a}]}}"));
        assertTrue(refused("backend: {type: swift, swift: {authUrl: 'http://h:5000/v3', auth: keystone, user: u, key: k}}")
                .startsWith("t.yaml: backend.swift: project must not be empty"));
        assertTrue(refused("backend: {type: s3, s3: {endpoint: 'http://x:1', bucket: Has_Upper}}")
                .startsWith("t.yaml: backend.s3.bucket: "), refused("backend: {type: s3, s3: {endpoint: 'http://x:1', bucket: Has_Upper}}"));
        assertTrue(refused("backend: {type: swift, swift: {authUrl: 'http://h/auth/v1.0', user: u, key: k, container: x}}")
                .startsWith("t.yaml: backend.swift.container: "));
    }

    @Test
    void credentialsComeInlineFromFilesOrFromTheEnvironment() throws Exception {
        Files.writeString(tmp.resolve("s3.secret"), SECRET + "\n");
        Path file = tmp.resolve("s3.yaml");
        Files.writeString(file, "backend: {type: s3, s3: {endpoint: 'http://127.0.0.1:9000', accessKey: {env: S3_ACCESS},"
                + " secretKey: {file: s3.secret}}}\n");
        BackendConfig c = ConfigReader.read(file).withEnv(ENV::get).section("backend", BackendConfig.class);
        assertEquals(ACCESS, c.s3().toStoreConfig().accessKey());
        assertEquals(SECRET, c.s3().toStoreConfig().secretKey());
        BackendConfig s = parse("backend: {type: swift, swift: {authUrl: 'http://h/auth/v1.0', user: u, key: {env: SWIFT_KEY}}}");
        assertEquals(SWIFT_KEY, s.swift().toStoreConfig().password());
        assertEquals("t.yaml: backend.s3.secretKey: environment variable S3_SECRET is not set", refused(
                "backend: {type: s3, s3: {accessKey: {env: S3_ACCESS}, secretKey: {env: S3_SECRET}}}"));
    }

    @Test
    void noRecordPrintsACredential() {
        BackendConfig s3 = parse("backend: {type: s3, s3: {accessKey: " + ACCESS + ", secretKey: " + SECRET + "}}");
        BackendConfig swift = parse("backend: {type: swift, swift: {authUrl: 'http://h/auth/v1.0', user: u, key: "
                + SWIFT_KEY + "}}");
        BackendConfig dist = parse("backend: {type: distributor, distributor: {policy: 1+1, stores: ["
                + "{name: a, type: s3, s3: {accessKey: " + ACCESS + ", secretKey: " + SECRET + "}},"
                + "{name: b, type: swift, swift: {authUrl: 'http://h/auth/v1.0', user: u, key: {env: SWIFT_KEY}}}]}}");
        for (Object o : List.of(s3, s3.s3(), s3.s3().toStoreConfig(), swift, swift.swift(), swift.swift().toStoreConfig(),
                dist, dist.distributor(), dist.distributor().stores().get(0), dist.distributor().stores().get(1),
                s3.describe(), swift.describe(), dist.describe())) {
            String text = o.toString();
            for (String credential : List.of(ACCESS, SECRET, SWIFT_KEY)) {
                assertFalse(text.contains(credential), text);
            }
        }
        assertTrue(s3.toString().contains("secretKey=***"), s3.toString());
    }

    @Test
    void errorsOfABadConfigNeverCarryACredential() {
        for (String yaml : List.of(
                "backend: {type: s3, s3: {endpoint: 'no host', accessKey: " + ACCESS + ", secretKey: " + SECRET + "}}",
                "backend: {type: s3, s3: {accessKey: " + ACCESS + ", secretKey: [" + SECRET + "]}}",
                "backend: {type: s3, s3: {accessKey: " + ACCESS + ", secretKey: " + SECRET + ", region: [x]}}",
                "backend: {type: s3, s3: {accessKey: " + ACCESS + ", secretKey: '" + SECRET + "}}",
                "backend: {type: swift, swift: {authUrl: 'http://h:5000/v3', auth: keystone, user: u, key: " + SWIFT_KEY + "}}",
                "backend: {type: swift, swift: {authUrl: 'http://h/auth/v1.0', user: u, key: " + SWIFT_KEY + ", kee: "
                        + SWIFT_KEY + "}}")) {
            String message = refused(yaml);
            for (String credential : List.of(ACCESS, SECRET, SWIFT_KEY)) {
                assertFalse(message.contains(credential), message);
            }
        }
    }

    @Test
    void transformSectionCompressesBeforeErasureCodingAndKeepsTheKeyOutOfMessages() throws Exception {
        String kek = java.util.Base64.getEncoder().encodeToString(new byte[32]).replace('A', 'Q');
        Files.writeString(tmp.resolve("scoria.kek"), kek + "\n");
        Path file = tmp.resolve("t.yaml");
        Files.writeString(file, """
                backend:
                  type: distributor
                  distributor:
                    policy: 2+1
                    stores:
                      - {name: a, type: fs, fs: {root: a}}
                      - {name: b, type: fs, fs: {root: b}}
                      - {name: c, type: fs, fs: {root: c}}
                  transform: {compression: "zstd:1", encryption: aes-256-gcm, keyEncryptionKey: {file: scoria.kek}}
                """);
        BackendConfig c = ConfigReader.read(file).section("backend", BackendConfig.class);
        assertTrue(c.describe().endsWith("new volumes zstd:1+aes-256-gcm"), c.describe());
        assertFalse(c.toString().contains(kek));
        byte[] zeros = new byte[4 << 20];
        try (ObjectStore store = c.open()) {
            assertInstanceOf(io.scoria.backend.transform.TransformingObjectStore.class, store);
            store.createNamespace("vm1");
            store.put("vm1", "sco/1", ByteBuffer.wrap(zeros));
            assertEquals(zeros.length, store.get("vm1", "sco/1").remaining());
        }
        long stored;
        try (var files = Files.walk(tmp)) {
            stored = files.filter(Files::isRegularFile).filter(f -> f.toString().contains("vm1"))
                    .mapToLong(f -> f.toFile().length()).sum();
        }
        assertTrue(stored < zeros.length / 100, "compressed before erasure coding: " + stored + " bytes stored");

        String wrongLevel = refused("backend: {type: fs, fs: {root: x}, transform: {compression: 'zstd:40'}}");
        assertTrue(wrongLevel.contains("backend.transform.compression"), wrongLevel);
        String noKek = refused("backend: {type: fs, fs: {root: x}, transform: {encryption: aes-256-gcm}}");
        assertTrue(noKek.contains("backend.transform.keyEncryptionKey"), noKek);
        String badKek = refused("backend: {type: fs, fs: {root: x}, transform: {encryption: aes-256-gcm, "
                + "keyEncryptionKey: not-a-real-key-value}}");
        assertTrue(badKek.contains("backend.transform.keyEncryptionKey") && !badKek.contains("not-a-real-key-value"), badKek);
        String unknown = refused("backend: {type: fs, fs: {root: x}, transform: {compresion: lz4}}");
        assertTrue(unknown.contains("backend.transform.compresion"), unknown);
    }
}
