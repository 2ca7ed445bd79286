package io.scoria.accelerator.foc.server;

import io.scoria.accelerator.foc.FocCorruptDataException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The on-disk record format of the FOC server: round trip, torn tails, CRC mismatches. */
class ScoFileTest {
    private static final int CS = 4096;
    private static final long SCO = 7;
    private final int rb = ScoFile.recordBytes(CS);

    @TempDir
    Path dir;

    private static byte[] cluster(long lba) {
        byte[] b = new byte[CS];
        for (int i = 0; i < CS; i++) {
            b[i] = (byte) (lba * 31 + i);
        }
        return b;
    }

    /** A file of {@code entries} records (LBAs 100..), all flushed (FLUSH: force). */
    private Path writeFile(int entries) throws IOException {
        return writeFile(entries, entries);
    }

    /** A file whose first {@code flushed} records were flushed and the rest only written. */
    private Path writeFile(int entries, int flushed) throws IOException {
        Path p = dir.resolve(ScoFile.fileName(SCO));
        try (ScoFile f = ScoFile.create(p, SCO, CS)) {
            append(f, SCO, 100, flushed);
            f.force();
            append(f, SCO, 100 + flushed, entries - flushed);
        }
        return p;
    }

    /** Appends {@code entries} records of {@code sco} for LBAs {@code firstLba}.. */
    private void append(ScoFile f, long sco, long firstLba, int entries) throws IOException {
        int eb = FocProtocol.entryBytes(CS);
        ByteBuffer records = ByteBuffer.allocateDirect(entries * rb);
        CRC32C crc = new CRC32C();
        for (int i = 0; i < entries; i++) {
            ByteBuffer e = ByteBuffer.allocate(eb);
            e.putLong(firstLba + i).putLong(sco).putInt(i).putInt(1).put(cluster(firstLba + i)).flip();
            ScoFile.encodeRecord(records, e, crc);
        }
        records.flip();
        f.append(records);
    }

    @Test
    void aReusedFileHoldsOnlyTheNewScosRecordsAlsoAfterReopening() throws IOException {
        Path old = dir.resolve(ScoFile.fileName(SCO));
        Path spare = dir.resolve("spare-" + ScoFile.fileName(SCO));
        long next = SCO + 1;
        Path p = dir.resolve(ScoFile.fileName(next));
        try (ScoFile f = ScoFile.create(old, SCO, CS)) {
            append(f, SCO, 500, 5);
            f.retire(spare);
        }
        assertFalse(Files.exists(old));
        try (ScoFile f = ScoFile.reuse(spare, p, next, CS)) {
            assertFalse(Files.exists(spare));
            append(f, next, 100, 2);
            f.force();
            assertEquals(2, f.entries());
            assertEquals(List.of(100L, 101L), readLbasOf(f, next));
        }
        assertEquals(ScoFile.HEADER_BYTES + 5L * rb, Files.size(p)); // the old records are still behind
        try (ScoFile f = ScoFile.open(p, next, CS, SCO)) { // restart: the left-over tail is cut off
            assertEquals(2, f.entries());
            assertEquals(List.of(100L, 101L), readLbasOf(f, next));
        }
        assertEquals(ScoFile.HEADER_BYTES + 2L * rb, Files.size(p));
    }

    @Test
    void aReusedFileWhoseNewHeaderWasLostOpensEmptyOnlyIfItsOldScoWasRemoved() throws IOException {
        Path p = writeFile(3);
        Path renamed = dir.resolve(ScoFile.fileName(SCO + 1)); // rename reached the disk, header did not
        Files.move(p, renamed);
        assertThrows(FocCorruptDataException.class, () -> ScoFile.open(renamed, SCO + 1, CS, SCO - 1));
        try (ScoFile f = ScoFile.open(renamed, SCO + 1, CS, SCO)) {
            assertEquals(0, f.entries());
        }
        assertEquals(ScoFile.HEADER_BYTES, Files.size(renamed));
    }

    private List<Long> readLbas(ScoFile f) throws IOException {
        return readLbasOf(f, SCO);
    }

    private List<Long> readLbasOf(ScoFile f, long sco) throws IOException {
        List<Long> lbas = new ArrayList<>();
        f.forEach(ByteBuffer.allocateDirect(3 * rb), (buf, off) -> {
            long lba = buf.getLong(off);
            assertEquals(sco, buf.getLong(off + 8));
            byte[] data = new byte[CS];
            buf.get(off + FocProtocol.ENTRY_HEADER_BYTES, data);
            assertArrayEquals(cluster(lba), data, "cluster bytes of lba " + lba);
            lbas.add(lba);
        });
        return lbas;
    }

    @Test
    void roundTripKeepsOrderAndBytes() throws IOException {
        Path p = writeFile(10);
        assertEquals(ScoFile.HEADER_BYTES + 10L * rb, Files.size(p));
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(10, f.entries());
            assertEquals(List.of(100L, 101L, 102L, 103L, 104L, 105L, 106L, 107L, 108L, 109L), readLbas(f));
        }
    }

    @Test
    void tornTailIsTruncatedToLastCompleteRecord() throws IOException {
        Path p = writeFile(5, 2);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(ScoFile.HEADER_BYTES + 4L * rb + 1000); // crash in the middle of record 5
        }
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(4, f.entries());
            assertEquals(List.of(100L, 101L, 102L, 103L), readLbas(f));
        }
        assertEquals(ScoFile.HEADER_BYTES + 4L * rb, Files.size(p), "torn bytes are cut off the file");
    }

    @Test
    void zeroFilledTailIsTruncated() throws IOException {
        Path p = writeFile(3);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(ScoFile.HEADER_BYTES + 6L * rb); // size grew, data never reached the disk
        }
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(List.of(100L, 101L, 102L), readLbas(f));
        }
        assertEquals(ScoFile.HEADER_BYTES + 3L * rb, Files.size(p));
    }

    @Test
    void crcMismatchInLastRecordIsTruncated() throws IOException {
        Path p = writeFile(4, 3);
        flipByte(p, ScoFile.HEADER_BYTES + 3L * rb + 500);
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(List.of(100L, 101L, 102L), readLbas(f));
        }
        assertEquals(ScoFile.HEADER_BYTES + 3L * rb, Files.size(p));
    }

    @Test
    void crcMismatchBeforeValidRecordsIsCorruptionNotTruncation() throws IOException {
        Path p = writeFile(5);
        long size = Files.size(p);
        flipByte(p, ScoFile.HEADER_BYTES + 1L * rb + 40);
        FocCorruptDataException e = assertThrows(FocCorruptDataException.class, () -> ScoFile.open(p, SCO, CS, -1));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("record 1"), e.getMessage());
        assertEquals(size, Files.size(p), "nothing is truncated on corruption");
    }

    @Test
    void anUnflushedRecordThatFailsBeforeValidOnesEndsTheFileThere() throws IOException {
        Path p = writeFile(6, 2); // a power loss wrote back records 4 and 5 but not 3
        flipByte(p, ScoFile.HEADER_BYTES + 3L * rb + 40);
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(List.of(100L, 101L, 102L), readLbas(f));
            append(f, SCO, 200, 2);
            f.force();
        }
        assertEquals(ScoFile.HEADER_BYTES + 5L * rb, Files.size(p));
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(List.of(100L, 101L, 102L, 200L, 201L), readLbas(f), "appends continue after the cut");
        }
    }

    @Test
    void flushedRecordsMissingFromTheFileAreCorruption() throws IOException {
        Path p = writeFile(5, 4);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(ScoFile.HEADER_BYTES + 3L * rb); // record 3 was flushed
        }
        FocCorruptDataException e = assertThrows(FocCorruptDataException.class, () -> ScoFile.open(p, SCO, CS, -1));
        assertTrue(e.getMessage().contains("record 3") && e.getMessage().contains("missing")
                && e.getMessage().contains("first 4 records"), e.getMessage());
    }

    @Test
    void theFlushMarkIsWrittenAfterTheFlushAndOnlyWhenItMoves() throws IOException {
        Path p = dir.resolve(ScoFile.fileName(SCO));
        try (ScoFile f = ScoFile.create(p, SCO, CS)) {
            append(f, SCO, 100, 3);
            assertEquals(0, markOnFile(p), "no mark before a flush");
            f.force();
            assertEquals(3, markOnFile(p));
            append(f, SCO, 103, 2);
            assertEquals(3, markOnFile(p), "appends do not move the mark");
            f.force();
            assertEquals(5, markOnFile(p));
        }
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(5, f.entries(), "a header with a mark still opens");
        }
    }

    private static int markOnFile(Path p) throws IOException {
        byte[] header = new byte[ScoFile.HEADER_BYTES];
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r")) {
            raf.readFully(header);
        }
        return Short.toUnsignedInt(ByteBuffer.wrap(header).getShort(6));
    }

    @Test
    void corruptionAfterOpenIsDetectedOnRead() throws IOException {
        Path p = writeFile(3);
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            flipByte(p, ScoFile.HEADER_BYTES + 1L * rb + 4000);
            assertThrows(FocCorruptDataException.class, () -> readLbas(f));
        }
    }

    @Test
    void badHeaderIsCorruption() throws IOException {
        Path p = writeFile(2);
        flipByte(p, 9);
        assertThrows(FocCorruptDataException.class, () -> ScoFile.open(p, SCO, CS, -1));
    }

    @Test
    void recordOfAnotherScoIsNotAccepted() throws IOException {
        Path p = writeFile(2);
        Path other = dir.resolve(ScoFile.fileName(SCO + 1));
        Files.copy(p, other);
        assertThrows(FocCorruptDataException.class, () -> ScoFile.open(other, SCO + 1, CS, -1));
    }

    @Test
    void tornHeaderLeavesAnEmptyFile() throws IOException {
        Path p = dir.resolve(ScoFile.fileName(SCO));
        Files.write(p, new byte[]{0x53, 0x46});
        try (ScoFile f = ScoFile.open(p, SCO, CS, -1)) {
            assertEquals(0, f.entries());
        }
        assertEquals(ScoFile.HEADER_BYTES, Files.size(p));
    }

    @Test
    void fileNamesRoundTrip() {
        assertEquals(0x1234L, ScoFile.parseFileName(ScoFile.fileName(0x1234L)));
        assertEquals(-1, ScoFile.parseFileName("volume.meta"));
    }

    private static void flipByte(Path p, long pos) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.seek(pos);
            int b = raf.read();
            raf.seek(pos);
            raf.write(b ^ 0x5a);
        }
    }
}
