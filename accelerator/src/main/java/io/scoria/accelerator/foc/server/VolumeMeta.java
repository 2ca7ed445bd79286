package io.scoria.accelerator.foc.server;

import io.scoria.accelerator.foc.FocCorruptDataException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The durable per-volume record of the FOC server: cluster size, highest owner epoch seen, and
 * the SCO number up to which entries were removed. File {@code volume.meta}, replaced atomically
 * (write temp, fsync, rename, fsync directory):
 * {@code u32 magic "SFCV" | u16 format 1 | u16 0 | u32 clusterSize | u64 epoch | u64 removedUpTo | u32 crc32c}.
 * {@code clusterSize} is the entry payload size ({@link io.scoria.accelerator.foc.FocEntryFormat}: the cluster
 * size for clear entries, more for sealed ones).
 */
record VolumeMeta(int clusterSize, long epoch, long removedUpTo) {
    static final String FILE = "volume.meta";
    private static final int MAGIC = 0x53464356;
    private static final int BYTES = 32;

    /** Reads the record of {@code volumeDir}, or null if there is none. */
    static VolumeMeta read(Path volumeDir) throws IOException {
        Path p = volumeDir.resolve(FILE);
        byte[] b;
        try {
            b = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            return null;
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, Math.max(0, Math.min(b.length, BYTES) - 4));
        if (b.length != BYTES || bb.getInt(0) != MAGIC || bb.getShort(4) != 1 || bb.getInt(28) != (int) crc.getValue()) {
            throw new FocCorruptDataException("FOC volume record " + p + " is corrupt (" + b.length
                    + " bytes, bad magic/format/CRC32C)");
        }
        return new VolumeMeta(bb.getInt(8), bb.getLong(12), bb.getLong(20));
    }

    /** Durably replaces the record of {@code volumeDir}. */
    void write(Path volumeDir) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(BYTES);
        bb.putInt(MAGIC).putShort((short) 1).putShort((short) 0).putInt(clusterSize).putLong(epoch)
                .putLong(removedUpTo);
        CRC32C crc = new CRC32C();
        crc.update(bb.array(), 0, BYTES - 4);
        bb.putInt((int) crc.getValue()).flip();
        Path tmp = volumeDir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
            ch.force(true);
        }
        Files.move(tmp, volumeDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDir(volumeDir);
    }

    static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    VolumeMeta withEpoch(long e) {
        return new VolumeMeta(clusterSize, e, removedUpTo);
    }

    VolumeMeta withRemovedUpTo(long sco) {
        return new VolumeMeta(clusterSize, epoch, sco);
    }
}
