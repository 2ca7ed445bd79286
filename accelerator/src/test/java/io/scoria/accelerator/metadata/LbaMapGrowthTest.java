package io.scoria.accelerator.metadata;

import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.scoria.accelerator.metadata.TestRecords.assertHas;
import static io.scoria.accelerator.metadata.TestRecords.put;
import static org.junit.jupiter.api.Assertions.*;

/** The LBA map's file follows what is written, not the volume's size (issue 25). */
class LbaMapGrowthTest {
    private static final long SIXTEEN_TIB_CLUSTERS = (16L << 40) / 4096;
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void anEmptySixteenTebibyteMapTakesLessThanOneMebibyteOnFlash() throws Exception {
        Path f = dir.resolve("empty");
        try (LbaMap m = LbaMap.open(f, SIXTEEN_TIB_CLUSTERS)) {
            assertEquals(0, m.entries());
            assertTrue(m.bytesOnFlash() <= MIB, "chronicle allocated " + m.bytesOnFlash());
        }
        assertTrue(Files.size(f) <= MIB, "file of an empty 16 TiB map: " + Files.size(f) + " bytes");
    }

    @Test
    void theFileIsRebuiltBiggerAsItFillsWhileReadersKeepFindingEveryRecord() throws Exception {
        Path f = dir.resolve("grow");
        int stable = 4096;
        long written = 160_000; // 20,000 dense groups: rebuilt at least twice (REBUILD_FACTOR x 1024 entries, then x 4096)
        try (LbaMap m = LbaMap.open(f, 1L << 24)) {
            long first = m.capacity();
            for (long lba = 0; lba < stable; lba++) {
                put(m, lba * 2000);
            }
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                LbaEntry e = new LbaEntry();
                try {
                    while (!done.get()) {
                        for (long lba = 0; lba < stable; lba++) {
                            assertHas(m, lba * 2000, e);
                            reads.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            for (long lba = 0; lba < written && failure.get() == null; lba++) {
                if (lba % 2000 != 0) {
                    put(m, lba);
                }
            }
            done.set(true);
            reader.join();
            assertNull(failure.get(), () -> "reader failed: " + failure.get());
            assertTrue(reads.get() > stable, "reader ran: " + reads.get());
            assertTrue(m.capacity() > first, "capacity grew from " + first + " to " + m.capacity());
            assertFalse(Files.exists(MapFile.sideFile(f)), "no side file left after a rebuild");
        }
        try (LbaMap m = LbaMap.open(f, 1L << 24)) {
            LbaEntry e = new LbaEntry();
            for (long lba = 0; lba < written; lba++) {
                assertHas(m, lba, e);
            }
            for (long lba = 0; lba < stable; lba++) {
                assertHas(m, lba * 2000, e);
            }
            m.get(written + 1, e);
            assertEquals(0, e.location);
            long perCluster = Files.size(f) / (stable - 80 + written);
            assertTrue(perCluster <= 40, "bytes per written cluster after growth: " + perCluster);
        }
    }

    /** A map of format 3 written before capacities were recorded: created for min(clusters, 2^20) / 8 entries. */
    @Test
    void aPresizedMapWithoutRecordedCapacityIsReadAndShrunkToWhatItHolds() throws Exception {
        Path f = dir.resolve("legacy");
        long clusters = (20L << 30) / 4096;
        try (LbaMap m = LbaMap.open(f, clusters, 1L << 20)) {
            for (long lba = 0; lba < 100; lba++) {
                put(m, lba * 7919);
            }
        }
        long presized = Files.size(f);
        assertTrue(presized > 16 * MIB, "presized as volumes did: " + presized);
        try (ChronicleMap<Long, byte[]> raw = ChronicleMap.of(Long.class, byte[].class).createPersistedTo(f.toFile())) {
            byte[] header = new byte[16];
            ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).putInt(LbaMap.MAGIC).putInt(LbaMap.VERSION).putLong(0);
            raw.put(LbaMap.META_KEY, header);
        }
        Files.writeString(MapFile.sideFile(f), "left by a crash part way through a rebuild");
        try (LbaMap m = LbaMap.open(f, clusters)) {
            LbaEntry e = new LbaEntry();
            for (long lba = 0; lba < 100; lba++) {
                assertHas(m, lba * 7919, e);
            }
            assertEquals(100, m.entries());
            put(m, 5);
            assertHas(m, 5, e);
        }
        assertTrue(Files.size(f) <= MIB, "rebuilt to what it holds: " + Files.size(f) + " bytes (was " + presized + ")");
        assertFalse(Files.exists(MapFile.sideFile(f)));
    }

    @Test
    void aRebuildThatCannotWriteItsSideFileLeavesTheMapAsItIsAndTheWritesGoOn() throws Exception {
        Path f = dir.resolve("blocked");
        long written = 8 * LbaMap.REBUILD_FACTOR * MapFile.MIN_CAPACITY + 8 * 300; // past the first fill check that rebuilds
        try (LbaMap m = LbaMap.open(f, 1L << 24)) {
            Path side = MapFile.sideFile(f);
            Files.createDirectories(side);
            Files.writeString(side.resolve("in-the-way"), "a directory where the side file goes cannot be deleted");
            for (long lba = 0; lba < written; lba++) {
                put(m, lba);
            }
            assertEquals(MapFile.MIN_CAPACITY, m.capacity(), "no rebuild could happen");
            LbaEntry e = new LbaEntry();
            for (long lba = 0; lba < written; lba++) {
                assertHas(m, lba, e);
            }
            Files.delete(side.resolve("in-the-way"));
            Files.delete(side);
            long more = 3 * written; // past the point where a failed rebuild is tried again
            for (long lba = written; lba < more; lba++) {
                put(m, lba);
            }
            assertTrue(m.capacity() > MapFile.MIN_CAPACITY, "rebuilt once the side file could be written: " + m.capacity());
            for (long lba = 0; lba < more; lba++) {
                assertHas(m, lba, e);
            }
        }
    }

    @Test
    void aReadAfterCloseIsAClearError() {
        LbaMap m = LbaMap.open(dir.resolve("closed"), 1024);
        m.close();
        m.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.get(0, new LbaEntry()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
