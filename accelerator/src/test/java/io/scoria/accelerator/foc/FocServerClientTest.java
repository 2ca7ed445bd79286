package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.client.FailoverCaches;
import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FOC server and client together on loopback, entries kept and given back: round trip, batching of
 * concurrent writes, the last write of an LBA winning on replay, removal bounding disk use (spare
 * files reused), the ASYNC and NONE modes, unregister. Failures: {@link FocServerClientFaultTest}.
 */
class FocServerClientTest extends FocLoopbackFixture {
    @Test
    void oneAddWithEntriesOfSeveralScoTagsStoresThemAll() throws Exception {
        try (RawPeer p = new RawPeer(port)) {
            assertEquals(FocProtocol.WELCOME, p.hello(null, false).op());
            p.send(FocProtocol.REGISTER, 1, RawPeer.register(OwnerEpochs.CLAIM, CS, VOL));
            assertEquals(FocProtocol.OK, p.read().op());
            long[] tags = {5, 5, 6};
            ByteBuffer add = ByteBuffer.allocate(4 + tags.length * FocProtocol.entryBytes(CS)).putInt(tags.length);
            for (int i = 0; i < tags.length; i++) {
                add.putLong(i).putLong(tags[i]).putInt(i).putInt(1).put(data(i, 0));
            }
            p.send(FocProtocol.ADD_ENTRIES, 2, add.array());
            RawPeer.Frame reply = p.read();
            assertEquals(FocProtocol.OK, reply.op(), () -> "reply " + FocProtocol.opcodeName(reply.op()));
        }
        Map<Long, byte[]> m = replay(client(2));
        assertEquals(3, m.size());
        assertArrayEquals(data(2, 0).array(), m.get(2L));
    }

    @Test
    void addFlushReplayRoundTrip() throws Exception {
        FocClient c = client(1);
        assertEquals(FocState.OK, c.state());
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            long seq = c.append(i, i / 1024, i % 1024, 1, data(i, 0));
            if (i % 100 == 99) {
                acks.add(c.ackedAsync(seq, exec));
            }
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        c.flush();
        assertEquals(3000, c.ackedSeq());
        Map<Long, byte[]> m = replay(c);
        assertEquals(3000, m.size());
        for (long lba = 0; lba < 3000; lba++) {
            assertArrayEquals(data(lba, 0).array(), m.get(lba), "lba " + lba);
        }
    }

    @Test
    void concurrentWritesShareRoundTrips() throws Exception {
        FocClient c = new FocClient(config(1).withBatching(256, 1, 1 << 26));
        toClose.add(c);
        int writers = 4;
        int perWriter = 500;
        List<CompletableFuture<Void>> last = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int base = w * perWriter;
            CompletableFuture<Void> done = new CompletableFuture<>();
            last.add(done);
            Thread t = new Thread(() -> {
                try {
                    List<CompletableFuture<Void>> acks = new ArrayList<>();
                    for (int i = 0; i < perWriter; i++) {
                        acks.add(c.addAsync(base + i, 1, base + i, 1, data(base + i, 0), exec));
                    }
                    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                    done.complete(null);
                } catch (Exception e) {
                    done.completeExceptionally(e);
                }
            });
            threads.add(t);
            t.start();
        }
        CompletableFuture.allOf(last.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long entries = (long) writers * perWriter;
        assertEquals(entries, c.ackedSeq());
        System.out.printf("FOC batching: %d entries in %d ADD frames (one frame in flight at a time)%n", entries,
                c.addFramesSent());
        assertTrue(c.addFramesSent() * 2 <= entries, "with one frame in flight, waiting writes share frames: "
                + c.addFramesSent() + " frames for " + entries + " entries");
        assertEquals(entries, replay(c).size());
    }

    @Test
    void laterWriteOfTheSameLbaWinsOnReplay() throws Exception {
        FocClient c = client(1);
        long seq = 0;
        for (int gen = 0; gen < 3; gen++) {
            for (int lba = 0; lba < 50; lba++) {
                seq = c.append(lba, gen, lba, 1, data(lba, gen));
            }
        }
        c.ackedAsync(seq, exec).get(10, TimeUnit.SECONDS);
        Map<Long, byte[]> m = replay(c);
        for (long lba = 0; lba < 50; lba++) {
            assertArrayEquals(data(lba, 2).array(), m.get(lba));
        }
    }

    @Test
    void removeUpToBoundsDiskUse() throws Exception {
        FocClient c = client(1);
        Path vol = dir.resolve("foc").resolve(VOL);
        int perSco = 256; // 1 MiB of 4 KiB clusters per SCO
        long seq = 0;
        for (int sco = 1; sco <= 10; sco++) {
            for (int i = 0; i < perSco; i++) {
                seq = c.append((long) sco * perSco + i, sco, i, 1, data(i, sco));
            }
        }
        c.ackedAsync(seq, exec).get(20, TimeUnit.SECONDS);
        c.flush();
        long before = scoBytes(vol);
        long record = 4 + 24 + CS + 4;
        assertEquals(10 * (24 + perSco * record), before);
        assertTrue(c.retainedBytes() >= 10L * perSco * CS);
        c.removeUpTo(8);
        long after = scoBytes(vol);
        // two live SCOs, plus the files of the eight removed SCOs, kept as spares for reuse (up to 16)
        int spares = 8;
        assertEquals((2 + spares) * (24 + perSco * record), after);
        try (Stream<Path> s = Files.list(vol)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("sco-0000000000000009.foc", "sco-000000000000000a.foc"),
                    names.stream().filter(n -> n.startsWith("sco-")).toList());
            assertEquals(spares, names.stream().filter(n -> n.startsWith("spare-sco-")).count());
            assertEquals(2 + spares + 1, names.size(), "and volume.meta: " + names);
        }
        // the next SCO reuses a spare instead of creating a file
        c.ackedAsync(c.append(11L * perSco, 11, 0, 1, data(0, 11)), exec).get(20, TimeUnit.SECONDS);
        try (Stream<Path> s = Files.list(vol)) {
            assertEquals(spares - 1, s.filter(p -> p.getFileName().toString().startsWith("spare-")).count());
        }
        assertTrue(Files.exists(vol.resolve("sco-000000000000000b.foc")));
        assertEquals((2L * perSco + 1) * (24 + CS), c.retainedBytes(), "the client forgets removed entries too");
        System.out.printf("FOC disk use: 10 SCOs x %d clusters = %d bytes; after removeUpTo(8): %d bytes%n",
                perSco, before, after);
        assertEquals(2 * perSco + 1, replay(c).size(), "a reused file replays only its own SCO's entry");
        assertThrows(IllegalArgumentException.class, () -> c.append(1, 8, 0, 1, data(1, 0)));
    }

    @Test
    void asyncAndNoneModes() throws Exception {
        FailoverCache none = FailoverCaches.create(FocMode.NONE, null);
        assertTrue(none.addAsync(1, 1, 0, 1, data(1, 0), exec).isDone());
        assertEquals(0, none.replay((a, b, c, d, e) -> { }));
        FailoverCache async = FailoverCaches.create(FocMode.ASYNC, config(1));
        toClose.add(async);
        assertEquals(FocMode.ASYNC, async.mode());
        for (int i = 0; i < 1000; i++) {
            CompletableFuture<Void> f = async.addAsync(i, 1, i, 1, data(i, 0), exec);
            assertTrue(f.isDone(), "async mode acknowledges at once");
        }
        async.flush(); // FLUSH follows every batch on the connection
        Map<Long, byte[]> m = new LinkedHashMap<>();
        async.replay((lba, sco, off, ver, cl) -> {
            byte[] b = new byte[CS];
            cl.get(b);
            m.put(lba, b);
        });
        assertEquals(1000, m.size());
        assertArrayEquals(data(999, 0).array(), m.get(999L));
    }

    @Test
    void unregisterDeletesEntriesButKeepsFencing() throws Exception {
        FocClient c = client(3);
        c.ackedAsync(c.append(1, 1, 0, 1, data(1, 0)), exec).get(10, TimeUnit.SECONDS);
        c.unregister();
        Path vol = dir.resolve("foc").resolve(VOL);
        assertEquals(0, scoBytes(vol));
        assertEquals(0, c.retainedBytes());
        assertEquals(0, replay(c).size());
        assertThrows(FocFencedException.class, () -> new FocClient(config(2)));
    }

    static long scoBytes(Path vol) throws IOException {
        try (Stream<Path> s = Files.list(vol)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".foc")).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
