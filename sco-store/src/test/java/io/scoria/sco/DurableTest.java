package io.scoria.sco;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurableTest {
    @TempDir
    Path tmp;

    @Test
    void replaceWritesThenReplacesAndLeavesNoTemporaryFile() throws Exception {
        Path f = tmp.resolve("state");
        ByteBuffer first = ByteBuffer.wrap("first".getBytes(StandardCharsets.US_ASCII));
        Durable.replace(f, first);
        assertEquals("first", Files.readString(f));
        assertEquals(0, first.position(), "the caller's buffer is not consumed");
        Durable.replace(f, ByteBuffer.wrap("second, longer".getBytes(StandardCharsets.US_ASCII)));
        Durable.replace(f, ByteBuffer.wrap("3".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("3", Files.readString(f), "a shorter content leaves nothing of the longer one");
        assertFalse(Files.exists(tmp.resolve("state.tmp")));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path missing = tmp.resolve("nope");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> Durable.replace(missing.resolve("f"), ByteBuffer.allocate(1)));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        e = assertThrows(UncheckedIOException.class, () -> Durable.force(missing));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void attributesApplyFromTheNewFilesCreation() throws Exception {
        Path f = Files.writeString(tmp.resolve("secrets"), "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(tmp.resolve("secrets.tmp"), "left by a crash");
        Durable.replace(f, ByteBuffer.wrap("new".getBytes(StandardCharsets.US_ASCII)),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        assertEquals("new", Files.readString(f));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(f));
        assertFalse(Files.exists(tmp.resolve("secrets.tmp")));
    }
}
