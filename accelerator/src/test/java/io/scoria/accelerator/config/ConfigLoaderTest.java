package io.scoria.accelerator.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {

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
        assertTrue(sw.getMessage().contains("backend.swift.kee"), sw.getMessage());
    }

    @Test
    void unknownKeysAreRejectedByName() {
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("nbd:\n  prot: 1\n", "t.yaml"));
        assertTrue(e.getMessage().contains("unknown key 'nbd.prot'"), e.getMessage());
        assertTrue(e.getMessage().contains("port"), "lists the known keys: " + e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("colour: red\n", "t.yaml"));
        assertTrue(e.getMessage().contains("unknown key 'colour'"), e.getMessage());
    }

    @Test
    void badValuesAreRejectedWithTheKey() {
        assertMessage("nbd: {port: 70000}", "nbd.port");
        assertMessage("cache: {clusterCache: lots}", "cache.clusterCache");
        assertMessage("volumes: {clusterSize: 3KiB}", "clusterSize");
        assertMessage("backend: {type: ftp}", "backend.type");
        assertMessage("nbd: {exports: {vm1: {allowedClients: [not-an-ip]}}}", "allowedClients");
        assertMessage("nbd: {port: eighty}", "nbd.port");
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
        assertMessage("scrub: {applyDutyCycle: 0}", "scrub.applyDutyCycle");
        assertMessage("scrub: {applyDutyCycle: 1.5}", "scrub.applyDutyCycle");
        assertMessage("scrub: {applyBatch: 0}", "scrub.applyBatch");
        assertMessage("scrub: {grace: soon}", "scrub.grace");
    }

    private static void assertMessage(String yaml, String key) {
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "t.yaml"));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    @Test
    void sizes() {
        assertEquals(20L << 30, Sizes.parse("size", "20GiB"));
        assertEquals(4096, Sizes.parse("size", "4k"));
        assertEquals(512, Sizes.parse("size", "512"));
        assertEquals(1L << 40, Sizes.parse("size", "1 TiB"));
        assertEquals("20GiB", Sizes.format(20L << 30));
        var e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("--size", "twenty"));
        assertTrue(e.getMessage().startsWith("--size"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("--size", "99999999999TiB"));
    }
}
