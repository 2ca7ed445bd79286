package io.scoria.accelerator.foc.server;

import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.client.FocClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** REMOVE_UP_TO: its fsyncs do not hold up later appends, and a crash mid-way never resurrects removed entries. */
class RemovalPersistenceTest {
    private static final int CS = 4096;
    private static final String VOL = "vol-r";

    @TempDir
    Path dir;
    private final ExecutorService exec = Executors.newFixedThreadPool(2);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        exec.shutdownNow();
    }

    private FocServer server(int port) {
        FocServer s = new FocServer(new InetSocketAddress("127.0.0.1", port), dir.resolve("foc"));
        toClose.add(s);
        return s;
    }

    private FocClient client(FocServer s, long epoch) {
        FocClient c = new FocClient(FocClientConfig.of("127.0.0.1:" + s.localAddress().getPort(), VOL, CS, epoch)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofMillis(200)));
        toClose.add(c);
        return c;
    }

    private static ByteBuffer data(long lba) {
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i += 8) {
            b.putLong(i, lba * 31 + i);
        }
        return b;
    }

    /** One acknowledged entry in each of SCOs 1, 2 and 3. */
    private void appendToScosOneToThree(FocClient c) throws Exception {
        for (int sco = 1; sco <= 3; sco++) {
            c.ackedAsync(c.append(sco, sco, 0, 1, data(sco)), exec).get(10, TimeUnit.SECONDS);
        }
    }

    /** Blocks the volume's persister thread (a slow fsync) until the returned latch is counted down. */
    private static CountDownLatch holdPersister(FocServer s) {
        CountDownLatch slowDisk = new CountDownLatch(1);
        s.store(VOL).persister().execute(() -> {
            try {
                slowDisk.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return slowDisk;
    }

    @Test
    void appendsAreAcknowledgedWhileARemovalWaitsForItsFsync() throws Exception {
        FocServer s = server(0);
        FocClient c = client(s, 1);
        appendToScosOneToThree(c);
        CountDownLatch slowDisk = holdPersister(s); // the removal's durable step queues behind this "slow fsync"
        Future<?> removal = exec.submit(() -> c.removeUpTo(2));
        try {
            long seq = c.append(40, 4, 0, 1, data(40));
            try {
                c.ackedAsync(seq, exec).get(4, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                fail("an append waited for an earlier REMOVE_UP_TO's fsync");
            }
            assertFalse(removal.isDone(), "the removal is acknowledged only once durable");
        } finally {
            slowDisk.countDown();
        }
        removal.get(10, TimeUnit.SECONDS);
        List<Long> scos = new ArrayList<>();
        c.replay((lba, sco, off, ver, cluster) -> scos.add(sco));
        assertEquals(List.of(3L, 4L), scos);
        assertEquals(2, VolumeMeta.read(dir.resolve("foc").resolve(VOL)).removedUpTo());
    }

    @Test
    void unregisterWhileARemovalIsPendingLeavesNoFiles() throws Exception {
        FocServer s = server(0);
        FocClient c = client(s, 1);
        appendToScosOneToThree(c);
        CountDownLatch slowDisk = holdPersister(s);
        Future<?> removal = exec.submit(() -> c.removeUpTo(2));
        Path vol = dir.resolve("foc").resolve(VOL);
        try {
            c.unregister();
        } finally {
            slowDisk.countDown();
        }
        removal.get(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.list(vol)) {
            assertEquals(List.of(VolumeMeta.FILE), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void filesOfRemovedScosLeftByACrashAreRecycledNotReplayed() throws Exception {
        FocServer s = server(0);
        int port = s.localAddress().getPort();
        FocClient c = client(s, 1);
        appendToScosOneToThree(c);
        c.flush();
        c.close();
        s.close();
        Path vol = dir.resolve("foc").resolve(VOL);
        // the crash: the watermark 2 was made durable, the process died before renaming the files
        VolumeMeta m = VolumeMeta.read(vol);
        m.withRemovedUpTo(2).write(vol);
        assertTrue(Files.exists(vol.resolve(ScoFile.fileName(1))));

        FocServer again = server(port);
        FocClient c2 = client(again, 2);
        List<Long> scos = new ArrayList<>();
        c2.replay((lba, sco, off, ver, cluster) -> scos.add(sco));
        assertEquals(List.of(3L), scos, "entries of SCOs at or below the durable watermark are never replayed");
        try (Stream<Path> files = Files.list(vol)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of(ScoFile.fileName(3), "spare-" + ScoFile.fileName(1), "spare-" + ScoFile.fileName(2),
                    VolumeMeta.FILE), names);
        }
    }
}
