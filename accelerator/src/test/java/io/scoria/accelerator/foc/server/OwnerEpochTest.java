package io.scoria.accelerator.foc.server;

import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.OwnerEpochs;
import io.scoria.accelerator.foc.ScoTags;
import io.scoria.accelerator.foc.client.FocClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Owner epochs are counters the FOC server hands out (a claim takes stored + 1), they do not end
 * in 2032, and an implausible one is refused for that registration only.
 */
class OwnerEpochTest {
    static final int CS = 4096;

    @TempDir
    Path dir;

    static FocClientConfig config(int port, String volume, long epoch) {
        return FocClientConfig.of("127.0.0.1:" + port, volume, CS, epoch)
                .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(2), Duration.ofMillis(20), Duration.ofMillis(100));
    }

    @Test
    void claimsCountUpAndFenceThePreviousOwner() {
        try (FocServer s = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("foc"));
             FocClient first = new FocClient(config(s.localAddress().getPort(), "v", OwnerEpochs.CLAIM))) {
            assertEquals(1, first.ownerEpoch());
            first.append(1, ScoTags.FLOOR, 0, 1, ByteBuffer.allocate(CS));
            first.flush();
            try (FocClient second = new FocClient(config(s.localAddress().getPort(), "v", OwnerEpochs.CLAIM))) {
                assertEquals(2, second.ownerEpoch());
                assertThrows(FocFencedException.class, first::flush);
                assertEquals(1, second.replay((lba, tag, off, ver, c) -> { }));
            }
        }
    }

    @Test
    void aFarFutureEpochIsRefusedAndPoisonsNothing() {
        try (FocServer s = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("foc"))) {
            int port = s.localAddress().getPort();
            long far = Instant.parse("2100-01-01T00:00:00Z").toEpochMilli(); // an old-style wall-clock epoch
            FocException e = assertThrows(FocException.class, () -> new FocClient(config(port, "v", far)));
            assertTrue(e.getMessage().contains("implausible"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> config(port, "v", Long.MAX_VALUE));
            try (FocClient c = new FocClient(config(port, "v", OwnerEpochs.CLAIM));
                 FocClient d = new FocClient(config(port, "w", OwnerEpochs.CLAIM))) {
                assertEquals(1, c.ownerEpoch(), "the refused epoch was not stored");
                assertEquals(1, d.ownerEpoch(), "other volumes are unaffected");
                assertEquals(FocState.OK, c.state());
            }
        }
    }

    @Test
    void wallClockEpochsOfOlderServersCountOnAndAnExhaustedCounterIsAClearError() throws Exception {
        Path foc = dir.resolve("foc");
        Files.createDirectories(foc.resolve("old"));
        new VolumeMeta(CS, 1_790_000_000_000L, -1).write(foc.resolve("old")); // 2026, in ms
        Files.createDirectories(foc.resolve("full"));
        new VolumeMeta(CS, OwnerEpochs.MAX, -1).write(foc.resolve("full"));
        try (FocServer s = new FocServer(new InetSocketAddress("127.0.0.1", 0), foc)) {
            int port = s.localAddress().getPort();
            try (FocClient c = new FocClient(config(port, "old", OwnerEpochs.CLAIM))) {
                assertEquals(1_790_000_000_001L, c.ownerEpoch());
            }
            FocException e = assertThrows(FocException.class, () -> new FocClient(config(port, "full", OwnerEpochs.CLAIM)));
            assertTrue(e.getMessage().contains("implausible"), e.getMessage());
            try (FocClient c = new FocClient(config(port, "fresh", OwnerEpochs.CLAIM))) {
                assertEquals(1, c.ownerEpoch());
            }
        }
    }

    @Test
    void aClaimStartedWhileTheServerIsDownTakesTheNextEpochWhenItReturns() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path foc = dir.resolve("foc");
        Files.createDirectories(foc.resolve("v"));
        new VolumeMeta(CS, 5, -1).write(foc.resolve("v"));
        try (FocClient c = new FocClient(config(port, "v", OwnerEpochs.CLAIM))) {
            assertEquals(FocState.DEGRADED, c.state());
            c.append(3, ScoTags.FLOOR + 1, 0, 1, ByteBuffer.allocate(CS));
            try (FocServer s = new FocServer(new InetSocketAddress("127.0.0.1", port), foc)) {
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (c.state() != FocState.OK && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(FocState.OK, c.state());
                assertEquals(6, c.ownerEpoch());
                c.flush();
                assertEquals(1, c.replay((lba, tag, off, ver, b) -> assertEquals(3, lba)));
            }
        }
    }

    @Test
    void scoTagsGoOnPast2032AndAboveTheOldScheme() {
        long oldSchemeMax = ((1L << 38) - 1) << 24 | 0xFFFFFF;
        long y2032 = ScoTags.firstOfOpen(Instant.parse("2032-09-17T00:00:00Z").toEpochMilli());
        long y2100 = ScoTags.firstOfOpen(Instant.parse("2100-01-01T00:00:00Z").toEpochMilli());
        long now = ScoTags.firstOfOpen(System.currentTimeMillis());
        assertTrue(now > oldSchemeMax && now < y2032 && y2032 < y2100 && y2100 > 0);
        assertTrue(ScoTags.firstOfOpen(System.currentTimeMillis() + 1) - now >= 1 << 20);
        assertThrows(FocException.class, () -> ScoTags.firstOfOpen(Instant.parse("2200-01-01T00:00:00Z").toEpochMilli()));
    }
}
