package io.scoria.sco.tlog;

import io.scoria.sco.ClusterLocation;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.TLogVisitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TLogTest {
    @TempDir
    Path dir;

    private static final class Collect implements TLogVisitor {
        final List<long[]> clusters = new ArrayList<>();
        final List<Long> snapshots = new ArrayList<>();
        final List<long[]> sealed = new ArrayList<>();

        @Override
        public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
            clusters.add(new long[]{lba, location, fpHi, fpLo, dataCrc});
        }

        @Override
        public void scoSealed(long scoId, int crc32c, int clusters) {
            sealed.add(new long[]{scoId, crc32c, clusters});
        }

        @Override
        public void snapshot(long id) {
            snapshots.add(id);
        }
    }

    @Test
    void roundTripOfSealedLog() {
        Path f = dir.resolve("t1");
        try (TLogWriter w = TLogWriter.create(f, 7, 100, 4096)) {
            for (int i = 0; i < 50; i++) {
                w.cluster(i * 3L, ClusterLocation.of(1, 0, 0, i), i, -i, i * 11);
            }
            w.scoSealed(ClusterLocation.of(1, 0, 0, 0), 0xCAFEBABE, 50);
            w.snapshot(3);
            w.seal();
            Collect c = new Collect();
            TLogReader.Result r = TLogReader.replaySealed(w.contents(), "t1", c);
            assertTrue(r.sealed());
            assertEquals(7, r.tlogNumber());
            assertEquals(4096, r.clusterSize());
            assertEquals(50, c.clusters.size());
            assertEquals(147L, c.clusters.get(49)[0]);
            assertEquals(ClusterLocation.of(1, 0, 0, 49), c.clusters.get(49)[1]);
            assertEquals(-49L, c.clusters.get(49)[3]);
            assertEquals(539L, c.clusters.get(49)[4]);
            assertEquals(List.of(3L), c.snapshots);
            assertEquals(0xCAFEBABE, (int) c.sealed.get(0)[1]);
        }
    }

    @Test
    void hydratedRecordsReadAsClustersUnlessTheVisitorTellsThemApart() {
        try (TLogWriter w = TLogWriter.create(dir.resolve("t8"), 8, 100, 4096)) {
            w.cluster(1, ClusterLocation.of(2, 0, 0, 0), 10, 11, 12);
            w.hydrated(2, ClusterLocation.of(2, 0, 0, 1), 20, 21, 22);
            w.seal();
            Collect asClusters = new Collect();
            TLogReader.replaySealed(w.contents(), "t8", asClusters);
            assertEquals(2, asClusters.clusters.size(), "a map rebuild sees the copy as a write");
            assertArrayEquals(new long[]{2, ClusterLocation.of(2, 0, 0, 1), 20, 21, 22}, asClusters.clusters.get(1));
            List<Long> written = new ArrayList<>();
            List<Long> copied = new ArrayList<>();
            TLogReader.replaySealed(w.contents(), "t8", new TLogVisitor() {
                @Override
                public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                    written.add(lba);
                }

                @Override
                public void hydrated(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                    copied.add(lba);
                }
            });
            assertEquals(List.of(1L), written);
            assertEquals(List.of(2L), copied);
        }
    }

    @Test
    void sealedScosSeesOnlySealRecordsInOrder() {
        try (TLogWriter w = TLogWriter.create(dir.resolve("t9"), 9, 100, 4096)) {
            w.cluster(0, ClusterLocation.of(4, 0, 0, 0), 1, 2, 3);
            w.scoSealed(ClusterLocation.of(4, 0, 0, 0), 11, 1);
            w.cluster(1, ClusterLocation.ZERO, 0, 0, 0);
            w.snapshot(2);
            w.scoSealed(ClusterLocation.of(5, 1, 0, 0), 22, 7);
            w.seal();
            List<long[]> seen = new ArrayList<>();
            TLogReader.replaySealed(w.contents(), "t9",
                    TLogVisitor.sealedScos((scoId, crc, clusters) -> seen.add(new long[]{scoId, crc, clusters})));
            assertEquals(2, seen.size());
            assertArrayEquals(new long[]{ClusterLocation.of(4, 0, 0, 0), 11, 1}, seen.get(0));
            assertArrayEquals(new long[]{ClusterLocation.of(5, 1, 0, 0), 22, 7}, seen.get(1));
        }
    }

    @Test
    void tornTailStopsAtLastValidRecord() throws Exception {
        Path f = dir.resolve("t2");
        try (TLogWriter w = TLogWriter.create(f, 1, 100, 4096)) {
            for (int i = 0; i < 10; i++) {
                w.cluster(i, ClusterLocation.of(2, 0, 0, i), 1, 2, 3);
            }
        }
        // tear record 8 (the 8th cluster record: header is record 0) by flipping a byte in its body
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(8L * TLogRecord.SIZE + 20);
            raf.write(0x77);
        }
        Collect c = new Collect();
        TLogReader.Result r = TLogReader.replayFile(f, c);
        assertTrue(r.tornTail());
        assertFalse(r.sealed());
        assertEquals(7, c.clusters.size());
        assertEquals(8, r.records());
        // a writer reopened after the crash continues after the last valid record
        try (TLogWriter w = TLogWriter.reopen(f, 1, 100)) {
            assertEquals(8, w.records());
            w.cluster(99, ClusterLocation.of(3, 0, 0, 0), 5, 6, 7);
        }
        Collect c2 = new Collect();
        TLogReader.Result r2 = TLogReader.replayFile(f, c2);
        assertFalse(r2.tornTail());
        assertEquals(8, c2.clusters.size());
        assertEquals(99L, c2.clusters.get(7)[0]);
    }

    @Test
    void truncatedFileIsATornTail() throws Exception {
        Path f = dir.resolve("t3");
        try (TLogWriter w = TLogWriter.create(f, 1, 100, 4096)) {
            for (int i = 0; i < 5; i++) {
                w.cluster(i, ClusterLocation.of(2, 0, 0, i), 1, 2, 3);
            }
        }
        byte[] all = Files.readAllBytes(f);
        byte[] cut = java.util.Arrays.copyOf(all, 4 * TLogRecord.SIZE + 17);
        Collect c = new Collect();
        TLogReader.Result r = TLogReader.scan(ByteBuffer.wrap(cut), "cut", c);
        assertEquals(3, c.clusters.size());
        assertFalse(r.sealed());
        assertThrows(ScoFormatException.class, () -> TLogReader.replaySealed(ByteBuffer.wrap(cut), "cut", null));
    }

    @Test
    void corruptedSealedLogIsRefused() {
        Path f = dir.resolve("t4");
        ByteBuffer copy;
        try (TLogWriter w = TLogWriter.create(f, 1, 100, 4096)) {
            w.cluster(1, ClusterLocation.of(2, 0, 0, 0), 1, 2, 3);
            w.seal();
            ByteBuffer c = w.contents();
            copy = ByteBuffer.allocate(c.remaining()).put(c).flip();
        }
        // flip a bit in the header's cluster-size field and fix that record's crc: only the log checksum catches it
        copy.put(TLogRecord.SIZE + 9, (byte) (copy.get(TLogRecord.SIZE + 9) ^ 1));
        ScoFormatException e = assertThrows(ScoFormatException.class, () -> TLogReader.replaySealed(copy, "t4", null));
        assertTrue(e.getMessage().contains("t4"), e.getMessage());
    }

    @Test
    void fullLogRefusesAppends() {
        try (TLogWriter w = TLogWriter.create(dir.resolve("t5"), 1, 16, 4096)) {
            while (w.remaining() > 0) {
                w.syncPoint(1);
            }
            assertThrows(IllegalStateException.class, () -> w.syncPoint(2));
            w.seal();
            assertTrue(TLogReader.replaySealed(w.contents(), "t5", null).sealed());
        }
    }

    @Test
    void bigLogReplaysEveryEntry() {
        Path f = dir.resolve("big");
        int n = 200_000;
        try (TLogWriter w = TLogWriter.create(f, 1, n + 10, 4096)) {
            for (int i = 0; i < n; i++) {
                w.cluster(i, ClusterLocation.of(1 + i / 1024, 0, 0, i % 1024), i, i, i);
            }
            w.seal();
            long[] sum = new long[1];
            TLogReader.replaySealed(w.contents(), "big", (lba, loc, hi, lo, crc) -> sum[0] += lba);
            assertEquals((long) n * (n - 1) / 2, sum[0]);
        }
    }
}
