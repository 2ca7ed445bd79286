package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.foc.FailoverCache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Replays a volume's FOC entries into the volume: first streams them (on the FOC client's I/O
 * thread, which must not wait on the engine) into a local spool file, then writes them into the
 * volume in the order the FOC gave them (tag, then add order: write order), one cluster per write.
 * A later entry for the same LBA overwrites an earlier one, as the original writes did.
 *
 * <p>Not thread-safe: one replay at a time per spool file. The spool file is deleted afterwards.
 */
final class ReplaySpool {
    private ReplaySpool() {
    }

    /** Returns the number of entries applied. */
    static long replay(FailoverCache cache, Volume volume, Path spool) {
        int cs = volume.clusterSize();
        long clusters = volume.size() / cs;
        try {
            Files.createDirectories(spool.getParent());
            try (FileChannel ch = FileChannel.open(spool, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer out = ByteBuffer.allocateDirect(8 + cs);
                long n = cache.replay((lba, sco, off, ver, cluster) -> {
                    if (lba < 0 || lba >= clusters) {
                        throw new VolumeException("FOC entry for volume '" + volume.name() + "' names LBA " + lba
                                + " beyond its " + clusters + " clusters");
                    }
                    if (cluster.remaining() != cs) {
                        throw new VolumeException("FOC entry for volume '" + volume.name() + "' has "
                                + cluster.remaining() + " bytes, cluster size is " + cs);
                    }
                    out.clear();
                    out.putLong(lba).put(cluster.duplicate()).flip();
                    try {
                        while (out.hasRemaining()) {
                            ch.write(out);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot write replay spool " + spool, e);
                    }
                });
                ByteBuffer in = ByteBuffer.allocateDirect(8 + cs);
                long pos = 0;
                for (long i = 0; i < n; i++) {
                    in.clear();
                    while (in.hasRemaining()) {
                        if (ch.read(in, pos + in.position()) < 0) {
                            throw new VolumeException("replay spool " + spool + " ends after " + i + " of " + n + " entries");
                        }
                    }
                    pos += in.capacity();
                    long lba = in.getLong(0);
                    volume.write(lba * cs, in.position(8).limit(8 + cs), false);
                }
                return n;
            } finally {
                Files.deleteIfExists(spool);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("replay spool " + spool + ": " + e.getMessage(), e);
        }
    }
}
