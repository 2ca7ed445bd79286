package io.scoria.accelerator.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntentJournalTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("lifecycle").resolve("journal");
    }

    @Test
    void unfinishedOperationsSurviveAReopenAndEndedOnesDoNot() {
        Intent a;
        Intent b;
        try (IntentJournal j = IntentJournal.open(file())) {
            a = j.begin(id -> Intent.cloneSet(id, "golden", "s1", List.of("vm1", "vm2")));
            b = j.begin(id -> Intent.delete(id, "old"));
            j.end(b, IntentJournal.Outcome.COMPLETED);
        }
        try (IntentJournal j = IntentJournal.open(file())) {
            assertEquals(List.of(a), j.unfinished());
            Intent c = j.begin(id -> Intent.create(id, "new"));
            assertTrue(!c.id().equals(a.id()), "ids are not reused while an operation is open");
            j.end(a, IntentJournal.Outcome.ROLLED_BACK);
            j.end(c, IntentJournal.Outcome.COMPLETED);
        }
        try (IntentJournal j = IntentJournal.open(file())) {
            assertEquals(List.of(), j.unfinished());
        }
    }

    @Test
    void withNothingOpenTheFileIsCutBackToItsHeader() throws IOException {
        try (IntentJournal j = IntentJournal.open(file())) {
            Intent a = j.begin(id -> Intent.delete(id, "x"));
            assertTrue(Files.size(file()) > IntentJournal.HEADER_BYTES);
            j.end(a, IntentJournal.Outcome.COMPLETED);
            assertEquals(IntentJournal.HEADER_BYTES, Files.size(file()));
        }
    }

    @Test
    void aTornLastRecordIsCutOffAndTheOnesBeforeAreKept() throws IOException {
        Intent a = twoOpen();
        long full = Files.size(file());
        for (long cut = full - 1; cut > full - 12; cut -= 5) {
            Path copy = dir.resolve("copy-" + cut);
            Files.createDirectories(copy);
            Files.write(copy.resolve("journal"), Arrays.copyOf(Files.readAllBytes(file()), (int) cut));
            try (IntentJournal j = IntentJournal.open(copy.resolve("journal"))) {
                assertEquals(List.of(a), j.unfinished(), "cut at " + cut + " of " + full);
            }
            long after = Files.size(copy.resolve("journal"));
            assertTrue(after < cut, "the torn bytes are gone");
            try (IntentJournal j = IntentJournal.open(copy.resolve("journal"))) {
                assertEquals(List.of(a), j.unfinished(), "and the journal reopens clean");
            }
        }
    }

    @Test
    void aLastRecordFailingItsChecksumOrWrittenAsZerosIsCutOff() throws IOException {
        Intent a = twoOpen();
        byte[] bytes = Files.readAllBytes(file());
        bytes[bytes.length - 3] ^= 0x40;
        Files.write(file(), bytes);
        try (IntentJournal j = IntentJournal.open(file())) {
            assertEquals(List.of(a), j.unfinished());
        }
        try (var ch = java.nio.channels.FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(40), ch.size()); // an append the crash left as zeros
        }
        try (IntentJournal j = IntentJournal.open(file())) {
            assertEquals(List.of(a), j.unfinished());
        }
    }

    @Test
    void damageBeforeTheLastRecordIsAnErrorNamingFileAndOffset() throws IOException {
        twoOpen();
        byte[] bytes = Files.readAllBytes(file());
        int firstPayload = IntentJournal.HEADER_BYTES + 8 + 5;
        bytes[firstPayload] ^= 0x01;
        Files.write(file(), bytes);
        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> IntentJournal.open(file()));
        assertEquals(IntentJournal.HEADER_BYTES, e.offset());
        assertTrue(e.getMessage().contains(file().toString()) && e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(Arrays.equals(bytes, Files.readAllBytes(file())), "nothing is cut from a damaged journal");
    }

    @Test
    void aForeignFileOrANewerVersionIsRefused() throws IOException {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "hello, this is not a journal");
        assertThrows(JournalCorruptException.class, () -> IntentJournal.open(file()));
        Files.write(file(), ByteBuffer.allocate(8).put(IntentJournal.MAGIC).putInt(2).array());
        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> IntentJournal.open(file()));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    }

    @Test
    void aHeaderCutShortAtCreationIsAnEmptyJournal() throws IOException {
        Files.createDirectories(file().getParent());
        Files.write(file(), Arrays.copyOf(IntentJournal.MAGIC, 3));
        try (IntentJournal j = IntentJournal.open(file())) {
            assertEquals(List.of(), j.unfinished());
        }
        assertEquals(IntentJournal.HEADER_BYTES, Files.size(file()));
    }

    /** Journals an open clone set, then an open delete (the last record); returns the clone set. */
    private Intent twoOpen() {
        try (IntentJournal j = IntentJournal.open(file())) {
            Intent a = j.begin(id -> Intent.cloneSet(id, "golden", null, List.of("c1", "c2", "c3")));
            j.begin(id -> Intent.delete(id, "other"));
            return a;
        }
    }
}
