package io.scoria.backend.swift;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** MD5 in Swift's ETag form (32 lower-case hex digits). Stateless, thread-safe. */
final class Md5 {
    private Md5() {
    }

    /** MD5 of {@code data} from position to limit; the caller's position and limit are not touched. */
    static String of(ByteBuffer data) {
        MessageDigest md = newDigest();
        md.update(data.duplicate());
        return HexFormat.of().formatHex(md.digest());
    }

    /** MD5 of the first {@code size} bytes of {@code file}; fails if the file is shorter. */
    static String of(Path file, long size) {
        MessageDigest md = newDigest();
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long done = 0;
            while (done < size) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), size - done));
                int n = channel.read(chunk);
                if (n < 0) {
                    throw new IOException("file " + file + " shrank to " + done + " bytes while being stored (expected "
                            + size + ")");
                }
                chunk.flip();
                md.update(chunk);
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5", e);
        }
    }
}
