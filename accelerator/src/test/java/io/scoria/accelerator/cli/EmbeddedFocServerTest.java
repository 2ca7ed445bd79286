package io.scoria.accelerator.cli;

import io.scoria.accelerator.config.ConfigLoader;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import io.scoria.backend.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code foc.serve}: the fail-over cache server inside {@code scoria serve}. A real FOC client keeps a
 * volume's entries there (in {@code <dataDir>/foc-server}), a second client of a later owner epoch replays
 * them, the server closes with the daemon, and a bad section is refused naming the key.
 */
class EmbeddedFocServerTest {
    private static final int CS = 4096;
    @TempDir
    Path dir;

    private ScoriaConfig config(String foc) {
        return ConfigLoader.parse("dataDir: " + dir + "\nnbd: {port: 0}\napi: {port: 0}\niscsi: {enabled: false}\n"
                + foc, "test");
    }

    private static FocClient client(InetSocketAddress server, long epoch) {
        return new FocClient(FocClientConfig.of("127.0.0.1:" + server.getPort(), "vm1", CS, epoch)
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(20), Duration.ofMillis(200)));
    }

    private static ByteBuffer cluster(long lba) {
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i += 8) {
            b.putLong(i, lba * 31 + i);
        }
        return b;
    }

    @Test
    void keepsAVolumesEntriesInTheDataDirAndStopsWithTheDaemon() throws Exception {
        InetSocketAddress bound;
        try (ScoriaDaemon daemon = new ScoriaDaemon(config("foc: {serve: {listen: 127.0.0.1:0}}\n"),
                new InMemoryVolumeService())) {
            bound = daemon.focServerAddress();
            assertNotNull(bound);
            try (FocClient owner = client(bound, 1)) {
                for (long lba = 0; lba < 8; lba++) {
                    owner.append(lba, 1, (int) lba, 0, cluster(lba));
                }
                owner.flush();
            }
            try (Stream<Path> files = Files.walk(dir.resolve("foc-server"))) {
                assertTrue(files.anyMatch(Files::isRegularFile), "the entries are in <dataDir>/foc-server");
            }
            Map<Long, byte[]> replayed = new HashMap<>();
            try (FocClient next = client(bound, 2)) {
                next.replay((lba, sco, off, ver, data) -> {
                    byte[] b = new byte[CS];
                    data.get(b);
                    replayed.put(lba, b);
                });
            }
            assertEquals(8, replayed.size(), "a later owner replays every entry");
            assertArrayEquals(cluster(5).array(), replayed.get(5L));
        }
        assertThrows(IOException.class, () -> new Socket(bound.getAddress(), bound.getPort()).close(),
                "the FOC server stopped with the daemon");
    }

    @Test
    void withoutTheSectionThereIsNoServer() {
        try (ScoriaDaemon daemon = new ScoriaDaemon(config(""), new InMemoryVolumeService())) {
            assertNull(daemon.focServerAddress());
        }
    }

    @Test
    void aBadSectionIsRefusedNamingTheKey() {
        ConfigException noListen = assertThrows(ConfigException.class, () -> config("foc: {serve: {dir: /tmp/x}}\n"));
        assertTrue(noListen.getMessage().contains("foc.serve.listen"), noListen.getMessage());
        ConfigException bad = assertThrows(ConfigException.class, () -> config("foc: {serve: {listen: nowhere}}\n"));
        assertTrue(bad.getMessage().contains("foc.serve.listen") && bad.getMessage().contains("nowhere"), bad.getMessage());
        ConfigException open = assertThrows(ConfigException.class,
                () -> new ScoriaDaemon(config("foc: {serve: {listen: 0.0.0.0:0}}\n"), new InMemoryVolumeService()).close(),
                "no secret and no TLS: only a loopback address");
        assertTrue(open.getMessage().contains("foc.serve.listen") && open.getMessage().contains("foc.secretFile"),
                open.getMessage());
    }
}
