package io.scoria.accelerator.config;

import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.ConfigReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void embeddedDefaultMatchesTheDocumentedDefaults() {
        ScoriaConfig c = ScoriaConfig.embeddedDefault();
        assertEquals(Path.of("scoria-data"), c.dataDir());
        assertEquals("127.0.0.1", c.nbd().host());
        assertEquals(10809, c.nbd().port());
        assertEquals("127.0.0.1", c.api().host());
        assertEquals(8080, c.api().port());
        assertEquals("fs", c.backend().type());
        assertEquals(Path.of("scoria-data", "backend"), c.backend().fs().root());
        assertEquals(4096, c.volumes().spec(1 << 30).clusterSize());
        assertEquals(4 << 20, c.volumes().spec(1 << 30).scoSize());
        assertEquals(ScoriaConfig.embeddedDefault(), ConfigLoader.parse("", "empty.yaml"));
    }

    @Test
    void scoSizeAndTlogLengthDefaultByBackendType() {
        String s3 = "backend: {type: s3, s3: {endpoint: 'http://127.0.0.1:9000', accessKey: a, secretKey: b}}\n";
        ScoriaConfig onS3 = ConfigLoader.parse(s3, "s3.yaml");
        assertEquals(32 << 20, onS3.volumes().spec(1 << 30).scoSize());
        assertEquals(16, onS3.volumes().tlogScos());
        assertEquals(1 << 20, onS3.volumes().readAheadBytes());
        StringBuilder dist = new StringBuilder("backend: {type: distributor, distributor: {policy: 4+2, stores: [");
        for (char n = 'a'; n <= 'f'; n++) {
            dist.append(n == 'a' ? "" : ", ").append("{name: ").append(n)
                    .append(", type: s3, s3: {endpoint: 'http://127.0.0.1:9000', accessKey: a, secretKey: b}}");
        }
        ScoriaConfig onDist = ConfigLoader.parse(dist + "]}}\n", "d.yaml");
        assertEquals(256 << 20, onDist.volumes().spec(1 << 30).scoSize());
        assertEquals(4, onDist.volumes().tlogScos());
        ScoriaConfig onFs = ScoriaConfig.embeddedDefault();
        assertEquals(4 << 20, onFs.volumes().spec(1 << 30).scoSize());
        assertEquals(16, onFs.volumes().tlogScos());
        ScoriaConfig chosen = ConfigLoader.parse(s3 + "volumes: {scoSize: 8MiB, scosPerTlog: 64, readAhead: 0}\n", "c.yaml");
        assertEquals(8 << 20, chosen.volumes().spec(1 << 30).scoSize());
        assertEquals(64, chosen.volumes().tlogScos());
        assertEquals(0, chosen.volumes().readAheadBytes());
        var small = assertThrows(ConfigException.class, () -> ConfigLoader.parse(dist + "]}}\ncache: {scoCache: 256MiB}\n",
                "d.yaml"));
        assertTrue(small.getMessage().contains("cache.scoCache: must hold at least two SCOs of 256MiB"), small.getMessage());
        var ra = assertThrows(ConfigException.class, () -> ConfigLoader.parse("volumes: {readAhead: 100KiB}\n", "r.yaml"));
        assertTrue(ra.getMessage().contains("volumes.readAhead: must be 0 or a power of two"), ra.getMessage());
        var big = assertThrows(ConfigException.class, () -> ConfigLoader.parse("volumes: {scoSize: 512MiB}\n", "b.yaml"));
        assertTrue(big.getMessage().contains("volumes.scoSize: must be 1MiB to 256MiB"), big.getMessage());
    }

    @Test
    void idleCloseAndTheOpenVolumeBoundAreReadAndValidated() {
        ScoriaConfig d = ConfigLoader.parse("", "empty.yaml");
        assertEquals(java.time.Duration.ofMinutes(10), d.volumes().idleCloseDuration(), "10 minutes by default");
        assertEquals(0, d.volumes().maxOpen());
        ScoriaConfig c = ConfigLoader.parse("volumes: {idleClose: 30s, maxOpen: 500}\n", "i.yaml");
        assertEquals(java.time.Duration.ofSeconds(30), c.volumes().idleCloseDuration());
        assertEquals(500, c.volumes().maxOpen());
        assertEquals(java.time.Duration.ZERO, ConfigLoader.parse("volumes: {idleClose: 0}\n", "o.yaml").volumes()
                .idleCloseDuration());
        var soon = assertThrows(ConfigException.class, () -> ConfigLoader.parse("volumes: {idleClose: soon}\n", "s.yaml"));
        assertTrue(soon.getMessage().contains("volumes.idleClose"), soon.getMessage());
        var neg = assertThrows(ConfigException.class, () -> ConfigLoader.parse("volumes: {maxOpen: -1}\n", "m.yaml"));
        assertTrue(neg.getMessage().contains("volumes.maxOpen: must be 0 (no bound) to 1000000"), neg.getMessage());
    }

    @Test
    void fullFileIsRead() {
        ScoriaConfig c = ConfigLoader.parse("""
                dataDir: /var/lib/scoria
                nbd:
                  host: 0.0.0.0
                  port: 10900
                  exports:
                    vm1: {readOnly: true, allowedClients: [10.0.0.0/8, 127.0.0.1]}
                api: {port: 9090}
                backend:
                  type: s3
                  s3: {endpoint: "http://127.0.0.1:9000", accessKey: a, secretKey: b}
                cache: {clusterCache: 4GiB, scoCache: 8GiB}
                volumes: {clusterSize: 8KiB, scoSize: 8MiB}
                """, "t.yaml");
        assertEquals(Path.of("/var/lib/scoria"), c.dataDir());
        assertEquals(10900, c.nbdServerConfig().port());
        assertTrue(c.nbdServerConfig().policy("vm1").readOnly());
        assertEquals(List.of("10.0.0.0/8", "127.0.0.1"), c.nbdServerConfig().policy("vm1").allowedClients());
        assertFalse(c.nbdServerConfig().policy("other").readOnly());
        assertEquals(9090, c.api().port());
        assertEquals(4L << 30, c.cache().clusterCacheBytes());
        assertEquals(8192, c.volumes().spec(1 << 20).clusterSize());
        assertEquals("http://127.0.0.1:9000", c.backend().s3().endpoint());
        ScoriaConfig d = ConfigLoader.parse("""
                backend:
                  type: distributor
                  distributor:
                    policy: 2+1
                    stores:
                      - {name: a, type: fs, fs: {root: /srv/a}}
                      - {name: b, type: fs, fs: {root: /srv/b}}
                      - {name: c, type: fs, fs: {root: /srv/c}}
                """, "d.yaml");
        assertEquals(3, d.backend().distributor().stores().size());
        var sw = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "backend: {type: swift, swift: {authUrl: 'http://h/auth/v1.0', auth: tempauth, user: u, key: k, kee: k}}",
                "s.yaml"));
        assertTrue(sw.getMessage().startsWith("s.yaml: backend.swift.kee: unknown key"), sw.getMessage());
    }

    @Test
    void unknownKeysAreRejectedByName() {
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("nbd:\n  prot: 1\n", "t.yaml"));
        assertTrue(e.getMessage().startsWith("t.yaml: nbd.prot: unknown key"), e.getMessage());
        assertTrue(e.getMessage().contains("port"), "lists the known keys: " + e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("colour: red\n", "t.yaml"));
        assertTrue(e.getMessage().startsWith("t.yaml: colour: unknown key"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("nbd: {exports: {vm1: {readOnly: true, ro: 1}}}",
                "t.yaml"));
        assertTrue(e.getMessage().startsWith("t.yaml: nbd.exports.vm1.ro: unknown key"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("backend: {type: distributor, distributor: "
                + "{policy: 1+1, stores: [{name: a, fs: {root: a}}, {name: b, fs: {rot: b}}]}}", "t.yaml"));
        assertTrue(e.getMessage().startsWith("t.yaml: backend.distributor.stores[1].fs.rot: unknown key"), e.getMessage());
    }

    @Test
    void badValuesAreRejectedWithTheKey() {
        assertMessage("nbd: {port: 70000}", "t.yaml: nbd.port: must be 0-65535: 70000");
        assertMessage("cache: {clusterCache: lots}", "t.yaml: cache.clusterCache: not a size: 'lots'");
        assertMessage("cache: {scoCache: 1MiB}", "t.yaml: cache.scoCache: must be at least 64MiB: 1MiB");
        assertMessage("volumes: {clusterSize: 3KiB}", "t.yaml: volumes: ");
        assertMessage("volumes: {scoSize: 384MiB}", "t.yaml: volumes.scoSize: must be 1MiB to 256MiB");
        assertMessage("backend: {type: ftp}", "t.yaml: backend.type: must be one of");
        assertMessage("nbd: {exports: {vm1: {allowedClients: [not-an-ip]}}}", "t.yaml: nbd.exports.vm1.allowedClients: ");
        assertMessage("nbd: {port: eighty}", "t.yaml: nbd.port: expected a whole number, got 'eighty'");
        assertMessage("nbd: {tlsCertificate: c.pem}", "t.yaml: nbd.tlsKey: tlsCertificate and tlsKey go together");
        assertMessage("foc: {mode: sync}", "t.yaml: foc.address: is required when foc.mode is sync (on a cluster node");
        assertMessage("foc: {mode: async}\ncluster: {zookeeper: 'z:2181', nodeId: n1}",
                "t.yaml: foc.mode: async needs foc.address");
        assertMessage("foc: {address: 'h:1', requestTimeout: 5}", "t.yaml: foc.requestTimeout: expected a duration");
        assertMessage("foc: {address: 'h:1', tlsCertificate: c.pem}", "t.yaml: foc.tlsCertificate: tlsCertificate, tlsKey and tlsCa go together");
    }

    @Test
    void scrubAutoSectionSetsTheDefaultScheduleAndTheScrubDecisions() {
        ScoriaConfig d = ScoriaConfig.embeddedDefault();
        assertEquals("every 1h, keep 24 hourly + 7 daily", d.scrub().auto().scheduler().defaultSchedule().text());
        assertEquals(0.2, d.scrub().auto().autoScrub().garbage());
        assertTrue(d.scrub().auto().enabled());
        ScoriaConfig c = ConfigLoader.parse("scrub: {auto: {schedule: 'every 4s, keep 1 last', tick: 500ms, garbage: 0.3,"
                + " checkEvery: 2h, liveThreshold: 0.8}}\n", "t.yaml");
        assertEquals(java.time.Duration.ofSeconds(4), c.scrub().auto().scheduler().defaultSchedule().every());
        assertEquals(java.time.Duration.ofMillis(500), c.scrub().auto().scheduler().tick());
        assertEquals(java.time.Duration.ofHours(2), c.scrub().auto().autoScrub().checkEvery());
        assertEquals(0.8, c.scrub().auto().liveThreshold());
        assertNull(ConfigLoader.parse("scrub: {auto: {schedule: none}}\n", "t.yaml").scrub().auto().scheduler()
                .defaultSchedule());
        assertMessage("scrub: {auto: {schedule: 'every 1h'}}", "t.yaml: scrub.auto.schedule: schedule 'every 1h' has no retention");
        assertMessage("scrub: {auto: {garbage: 1.5}}", "t.yaml: scrub.auto.garbage: ");
        assertMessage("scrub: {auto: {tick: 1ms}}", "t.yaml: scrub.auto.tick: must be at least 10ms");
        assertMessage("scrub: {auto: {shedule: x}}", "t.yaml: scrub.auto.shedule: unknown key");
        assertFalse(d.scrub().auto().scrubsOnWorkers(), "the router scrubs by default");
        assertTrue(ConfigLoader.parse("scrub: {auto: {runOn: workers}}\n", "t.yaml").scrub().auto().scrubsOnWorkers());
        assertMessage("scrub: {auto: {runOn: cloud}}", "t.yaml: scrub.auto.runOn: must be 'router' or 'workers': cloud");
    }

    @Test
    void scrubSectionSetsPollGraceAndRelocationPacing() {
        ScoriaConfig d = ScoriaConfig.embeddedDefault();
        assertEquals(java.time.Duration.ofSeconds(30), d.scrub().pollDuration());
        assertEquals(java.time.Duration.ofSeconds(60), d.scrub().graceDuration());
        assertEquals(io.scoria.accelerator.scrub.RelocationPacing.defaults(), d.scrub().pacing());
        ScoriaConfig c = ConfigLoader.parse("scrub: {poll: 5s, grace: 2m, applyDutyCycle: 0.2, applyBatch: 32}\n", "t.yaml");
        assertEquals(java.time.Duration.ofSeconds(5), c.scrub().pollDuration());
        assertEquals(java.time.Duration.ofMinutes(2), c.scrub().graceDuration());
        assertEquals(0.2, c.scrub().pacing().dutyCycle());
        assertEquals(32, c.scrub().pacing().batch());
        assertMessage("scrub: {applyDutyCycle: 0}", "t.yaml: scrub.applyDutyCycle: must be in (0, 1]");
        assertMessage("scrub: {applyDutyCycle: 1.5}", "t.yaml: scrub.applyDutyCycle: must be in (0, 1]");
        assertMessage("scrub: {applyBatch: 0}", "t.yaml: scrub.applyBatch: must be 1-65536");
        assertMessage("scrub: {grace: soon}", "t.yaml: scrub.grace: expected a duration");
    }

    @Test
    void nbdLimitsAndClientIdentitiesAreRead() {
        ScoriaConfig d = ScoriaConfig.embeddedDefault();
        assertEquals(io.scoria.accelerator.nbd.NbdLimits.DEFAULTS, d.nbdServerConfig().limits());
        ScoriaConfig c = ConfigLoader.parse("nbd: {limits: {maxConnections: 10, maxConnectionsPerExport: 2, "
                + "maxInFlightBytes: 4MiB, memoryBudget: 64MiB, stallTimeout: 5s, idleTimeout: 10m},\n"
                + "  exports: {vm1: {allowedIdentities: [host-a]}}}\n", "t.yaml");
        var limits = c.nbd().limits().limits();
        assertEquals(new io.scoria.accelerator.nbd.NbdLimits(10, 2, 4L << 20, 64L << 20,
                java.time.Duration.ofSeconds(5), java.time.Duration.ofMinutes(10)), limits);
        assertEquals(List.of("host-a"), c.nbd().exports().get("vm1").policy().allowedIdentities());
        assertTrue(c.nbd().exports().get("vm1").policy().tlsRequired(), "identities imply TLS");
        assertMessage("nbd: {limits: {maxConnections: 0}}", "t.yaml: nbd.limits.maxConnections: must be 1-65536");
        assertMessage("nbd: {limits: {memoryBudget: 1MiB}}", "t.yaml: nbd.limits.memoryBudget: ");
        assertMessage("nbd: {limits: {stallTimeout: never}}", "t.yaml: nbd.limits.stallTimeout: expected a duration");
        assertMessage("nbd: {limits: {maxInFlight: 3}}", "t.yaml: nbd.limits.maxInFlight: unknown key");
        assertMessage("nbd: {tlsClientCa: ca.pem}", "t.yaml: nbd.tlsClientCa: needs tlsCertificate");
    }

    @Test
    void apiAndFocSecuritySettingsAreRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path secret = dir.resolve("foc.secret");
        java.nio.file.Files.writeString(secret, "0123456789abcdef0123456789abcdef\n");
        java.nio.file.Path cfg = dir.resolve("scoria.yaml");
        java.nio.file.Files.writeString(cfg, "api: {allowedHosts: [router.example], allowedOrigins: ['https://ui.example'],"
                + " maxBodySize: 64KiB}\nfoc: {address: '127.0.0.1:7001', secretFile: foc.secret}\n");
        ScoriaConfig c = ConfigLoader.load(cfg);
        var api = io.scoria.accelerator.cli.ScoriaDaemon.apiSettings(c);
        assertEquals(List.of("router.example"), api.allowedHosts());
        assertEquals(List.of("https://ui.example"), api.allowedOrigins());
        assertEquals(64 << 10, api.maxBodyBytes());
        assertEquals(secret, c.foc().secretFile(), "resolved against the config file's directory");
        assertNotNull(c.foc().secret());
        assertFalse(c.foc().secret().toString().contains("0123456789"), "the secret is never printed");
        assertMessage("api: {maxBodySize: 10}", "t.yaml: api.maxBodySize: must be 1KiB-64MiB");
        assertMessage("api: {tlsCertificate: c.pem}", "t.yaml: api.tlsKey: tlsCertificate and tlsKey go together");
        assertMessage("foc: {address: 'h:1', secretFile: /no/such/secret}", "t.yaml: foc.secretFile: cannot read");
    }

    @Test
    void iscsiSectionWithChapFromAFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var d = ScoriaConfig.embeddedDefault().iscsiServerConfig();
        assertTrue(ScoriaConfig.embeddedDefault().iscsi().enabled());
        assertEquals("127.0.0.1", d.host());
        assertEquals(3260, d.port());
        assertEquals("iqn.2026-12.io.scoria:vm1", d.targetName("vm1"));
        assertEquals(io.scoria.accelerator.iscsi.IscsiLimits.DEFAULTS, d.limits());
        assertFalse(d.defaultChap().required());
        java.nio.file.Path cfg = dir.resolve("scoria.yaml");
        java.nio.file.Files.writeString(dir.resolve("chap.secret"), "chap-secret-0123\n");
        java.nio.file.Files.writeString(cfg, "iscsi: {port: 0, blockSize: 4096, iqnPrefix: iqn.2030-01.com.example,\n"
                + "  chap: {user: host1, secret: {file: chap.secret}, mutualUser: tgt, mutualSecret: mutual-secret-987},\n"
                + "  targetChap: {vm2: {user: other, secret: other-secret-123}},\n"
                + "  limits: {cmdWindow: 32, maxTransferBytes: 1MiB, nopInterval: 0s}}\n");
        var c = ConfigLoader.load(cfg).iscsiServerConfig();
        assertEquals(4096, c.blockSize());
        assertEquals("iqn.2030-01.com.example:vm1", c.targetName("vm1"));
        assertEquals("chap-secret-0123", c.defaultChap().secret().reveal());
        assertEquals("tgt", c.defaultChap().mutualUser());
        assertEquals("other", c.targetChap().get("vm2").user());
        assertEquals(32, c.limits().cmdWindow());
        assertEquals(1 << 20, c.limits().maxTransferBytes());
        assertEquals(java.time.Duration.ZERO, c.limits().nopInterval());
        assertFalse(c.toString().contains("chap-secret-0123"), "secrets are never printed");
        assertMessage("iscsi: {blockSize: 1024}", "t.yaml: iscsi.blockSize: must be 512 or 4096");
        assertMessage("iscsi: {chap: {secret: short}}", "t.yaml: iscsi.chap: secret must be 12-255");
        assertMessage("iscsi: {limits: {cmdWindow: 0}}", "t.yaml: iscsi.limits.cmdWindow: must be 1-4096");
        assertMessage("iscsi: {chap: {password: x}}", "t.yaml: iscsi.chap.password: unknown key");
    }

    private static void assertMessage(String yaml, String start) {
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "t.yaml"));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }

    @Test
    void relativePathsResolveAgainstTheConfigFilesDirectoryNotTheWorkingDirectory() throws Exception {
        Path etc = Files.createDirectories(tmp.resolve("etc/scoria"));
        Path file = Files.writeString(etc.resolve("scoria.yaml"), """
                dataDir: data
                nbd: {tlsCertificate: tls/cert.pem, tlsKey: ../keys/key.pem}
                backend: {type: fs, fs: {root: /srv/objects}}
                """);
        assertNotEquals(etc.toAbsolutePath(), Path.of("").toAbsolutePath());
        ScoriaConfig c = ConfigLoader.load(file);
        assertEquals(etc.resolve("data").toAbsolutePath(), c.dataDir());
        assertEquals(etc.resolve("data/flash").toAbsolutePath(), c.flashDir());
        assertEquals(etc.resolve("tls/cert.pem").toAbsolutePath(), c.nbd().tlsCertificate());
        assertEquals(tmp.resolve("etc/keys/key.pem").toAbsolutePath(), c.nbd().tlsKey());
        assertEquals(Path.of("/srv/objects"), c.backend().fs().root());

        Files.writeString(file, "backend: {type: fs, fs: {root: objects}}\n");
        c = ConfigLoader.load(file);
        assertEquals(etc.resolve("scoria-data").toAbsolutePath(), c.dataDir(), "the default dataDir follows the same rule");
        assertEquals(etc.resolve("objects").toAbsolutePath(), c.backend().fs().root());
        Files.writeString(file, "");
        assertEquals(etc.resolve("scoria-data/backend").toAbsolutePath(), ConfigLoader.load(file).backend().fs().root());
    }

    @Test
    void credentialsAreReadFromFilesOrTheEnvironmentAndNeverPrinted() throws Exception {
        Files.writeString(tmp.resolve("s3.secret"), "s3cr3t-Value-42\n");
        Path file = Files.writeString(tmp.resolve("scoria.yaml"), """
                backend:
                  type: s3
                  s3: {endpoint: "http://127.0.0.1:9000", accessKey: {env: SCORIA_S3_ACCESS}, secretKey: {file: s3.secret}}
                """);
        ScoriaConfig c = ConfigLoader.load(ConfigReader.read(file).withEnv(Map.of("SCORIA_S3_ACCESS", "AKIA-42")::get));
        assertEquals("s3cr3t-Value-42", c.backend().s3().secretKey().reveal());
        assertEquals("AKIA-42", c.backend().s3().accessKey().reveal());
        assertFalse(c.toString().contains("s3cr3t-Value-42"), c.toString());
        assertFalse(c.toString().contains("AKIA-42"), c.toString());
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.load(ConfigReader.read(file).withEnv(Map.<String, String>of()::get)));
        assertEquals(file + ": backend.s3.accessKey: environment variable SCORIA_S3_ACCESS is not set", e.getMessage());
    }
}
