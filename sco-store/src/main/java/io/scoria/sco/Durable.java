package io.scoria.sco;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;

/**
 * Small files replaced so that a power loss leaves the old or the new content, and the new
 * name once the call returns: write a temporary file, fsync it, rename it over the target, fsync
 * the directory. Without the last step a file system without a journal (this project's build
 * machines) may forget the rename, and so may ext4 in some modes.
 */
public final class Durable {
    private Durable() {
    }

    /**
     * Replaces {@code file} with {@code content} atomically and durably. {@code attributes}
     * (e.g. owner-only POSIX permissions for a file of secrets) apply to the new file from its
     * creation on, so its content is never readable with other permissions.
     */
    public static void replace(Path file, ByteBuffer content, FileAttribute<?>... attributes) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + tmp, e);
        }
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                attributes)) {
            ByteBuffer b = content.duplicate();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tmp, e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + tmp + " to " + file, e);
        }
        force(file.toAbsolutePath().getParent());
    }

    /**
     * fsyncs {@code path}: a file's content, or a directory's entries (created, renamed, deleted
     * files).
     */
    public static void force(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fsync " + path, e);
        }
    }
}
