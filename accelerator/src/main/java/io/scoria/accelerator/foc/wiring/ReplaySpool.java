package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.sealed.SealedFailoverCache;

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
 * A later entry for the same LBA overwrites an earlier one, as the original writes did. The spool of
 * an encrypted volume (its cache a {@link SealedFailoverCache}) holds the clusters encrypted under a
 * key that lives only for the replay ({@link SpoolCipher}).
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
                SpoolCipher cipher = cache instanceof SealedFailoverCache ? new SpoolCipher() : null;
                long[] spooled = {0};
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
                    out.putLong(lba);
                    if (cipher != null) {
                        cipher.apply(spooled[0], cluster.duplicate(), out);
                    } else {
                        out.put(cluster.duplicate());
                    }
                    spooled[0]++;
                    out.flip();
                    try {
                        while (out.hasRemaining()) {
                            ch.write(out);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot write replay spool " + spool, e);
                    }
                });
                ByteBuffer in = ByteBuffer.allocateDirect(8 + cs);
                ByteBuffer clear = cipher == null ? null : ByteBuffer.allocateDirect(cs);
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
                    ByteBuffer data = in.position(8).limit(8 + cs);
                    if (cipher != null) {
                        cipher.apply(i, data, clear.clear());
                        data = clear.flip();
                    }
                    volume.write(lba * cs, data, false);
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
