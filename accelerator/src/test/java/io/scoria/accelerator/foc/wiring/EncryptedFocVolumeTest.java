package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.config.Secret;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.scoria.backend.testing.ByteSearch.contains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FOC wiring of an encrypted volume over the real engine and an in-process FOC server: writes that
 * only the FOC holds (the backend is down) are on the FOC server's disk sealed, and a node that lost
 * its local flash gets them all back from the FOC with the volume's key from the key ring; a volume
 * without encryption still mirrors its clusters as they are.
 */
class EncryptedFocVolumeTest {
    private static final int CS = 4096;
    private static final int WRITES = 64;
    private static final String KEK = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";

    @TempDir
    Path tmp;
    private final InMemoryObjectStore mem = new InMemoryObjectStore();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private int port;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private void startServer() {
        FocServer server = new FocServer(new InetSocketAddress("127.0.0.1", 0), tmp.resolve("foc-server"));
        toClose.add(server);
        port = server.localAddress().getPort();
    }

    private FocVolumeService router(String node, FaultInjectingStore backend) {
        TransformingObjectStore store = new TransformingObjectStore(backend, new KeyRing(mem, KeyRing.DEFAULT_NAMESPACE,
                KeyEncryptionKey.of(Secret.of(KEK), "keyEncryptionKey"), List.of()), null, TransformPolicy.NONE);
        FocHooks hooks = new FocHooks();
        EngineConfig ec = EngineConfig.defaults(tmp.resolve(node)).withScoCacheBytes(64L << 20)
                .withClusterCacheBytes(16L << 20).withRetry(Duration.ofMillis(1), Duration.ofMillis(20));
        return new FocVolumeService(new LocalVolumeService(store, ec, hooks), hooks, new FocWiringConfig("127.0.0.1:" + port,
                FocMode.SYNC, Duration.ofMillis(300), Duration.ofSeconds(1), 256L << 20, tmp.resolve(node).resolve("foc")),
                null);
    }

    private static ByteBuffer cluster(String volume, long lba) {
        byte[] text = ("FOC needle of " + volume + ", lba " + lba + "; ").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i++) {
            b.put(i, text[i % text.length]);
        }
        return b;
    }

    private boolean focServerHolds(String needle) throws IOException {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        try (Stream<Path> s = Files.walk(tmp.resolve("foc-server"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                if (contains(Files.readAllBytes(p), n)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void anEncryptedVolumesFocHoldsSealedEntriesAndANodeThatLostItsFlashGetsThemBack() throws Exception {
        startServer();
        FaultInjectingStore backend = new FaultInjectingStore(mem);
        FocVolumeService first = router("node1", backend);
        first.create("secret", new VolumeSpec(16 << 20, CS, 1 << 20, null, "aes-256-gcm"));
        first.create("plain", new VolumeSpec(16 << 20, CS, 1 << 20));
        FocVolume secret = first.open("secret");
        FocVolume plain = first.open("plain");
        backend.down(true);
        for (long lba = 0; lba < WRITES; lba++) {
            secret.write(lba * CS, cluster("secret", lba), false);
            plain.write(lba * CS, cluster("plain", lba), false);
        }
        secret.flush();
        plain.flush();
        assertTrue(focServerHolds("FOC needle of plain"), "control: a clear volume's FOC entries hold its clusters");
        assertFalse(focServerHolds("FOC needle of secret"), "the FOC server holds an encrypted volume's cluster in clear");
        // node1 is gone (never closed, nothing of it on the backend): node2 has empty local flash
        backend.down(false);
        FocVolumeService second = router("node2", new FaultInjectingStore(mem));
        toClose.add(second);
        FocVolume back = second.open("secret");
        ByteBuffer got = ByteBuffer.allocate(CS);
        for (long lba = 0; lba < WRITES; lba++) {
            back.read(lba * CS, got.clear());
            assertArrayEquals(cluster("secret", lba).array(), got.array(), "lba " + lba + " replayed from the FOC");
        }
        assertEquals("OK", second.info("secret").orElseThrow().state());
    }
}
