package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.cache.ScoFileCipher;
import io.scoria.sco.cache.SealedScoFile;
import io.scoria.sco.cache.LocalScoCache;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * After an unclean stop, finds the first record of the open TLog whose cluster did not reach
 * local flash. The TLog is a shared mapping and SCO data goes through the page cache; neither
 * is forced before a FLUSH, and after a power loss the kernel may have written back the log
 * but not the data (a SCO file shorter than its records say, or a block that still holds older
 * bytes). Every CLUSTER record carries the CRC32C of its data, so each logged cluster in a local
 * SCO not yet on the backend is read back and checked; the history must end before the first
 * one that does not match (what follows was not flushed, so NBD lets it be lost, and the
 * fail-over cache, when there is one, still holds it). Uploaded SCOs are not read (their
 * clusters are on the backend; reads check local copies anyway); a SCO with no local file is on
 * the backend (uploaded and evicted). Sealed SCOs of earlier TLogs are checked whole against
 * their SCO_SEALED records ({@link #afterUncleanStop}). An uploaded SCO's local file and its
 * {@code .uploaded} marker are never forced, so a sealed SCO that fails its check locally is
 * looked up on the backend before its clusters count as lost ({@link BackendScoCopy}); when
 * the backend holds it, the local copy is dropped.
 */
final class TLogDataCheck {
    private static final Logger LOG = LoggerFactory.getLogger(TLogDataCheck.class);

    private TLogDataCheck() {
    }

    /**
     * Before a volume restarts after an unclean stop: checks the sealed, not yet uploaded SCOs of
     * earlier local TLogs ({@code uploadedThrough} is the highest TLog on the backend), then cuts
     * the open TLog {@code cur} before its first lost cluster.
     */
    static void afterUncleanStop(VolumeContext ctx, VolumeManifest m, Path dir, long uploadedThrough, Path cur) {
        checkSealedScos(ctx, m, dir, uploadedThrough);
        if (Files.exists(cur)) {
            cutLostWrites(ctx, m, cur);
        }
    }

    /**
     * Ends the open TLog before the first cluster whose data is not on local flash
     * ({@link #scan}); a sealed one is checked like earlier TLogs.
     */
    private static void cutLostWrites(VolumeContext ctx, VolumeManifest m, Path cur) {
        Map<Long, int[]> sealed = new HashMap<>();
        boolean tlogSealed = TLogReader.replayFile(cur,
                TLogVisitor.sealedScos((scoId, crc, clusters) -> sealed.put(scoId, new int[]{crc, clusters}))).sealed();
        if (tlogSealed) {
            checkSealedScosOf(ctx, m, cur);
            return;
        }
        String ns = m.config().namespace();
        Result check = scan(ctx, cur, ns, m.config().clusterSize(), sealed);
        for (long id : check.onBackend()) {
            dropLocalCopy(ctx, m, id);
        }
        if (check.cutAt() >= 0) {
            LOG.warn("volume {}: {} (the data did not reach local flash before the stop); TLog {} now ends after record {}: "
                    + "later writes were not flushed and are dropped here, a fail-over cache re-sends them",
                    m.name(), check.reason(), cur.getFileName(), check.cutAt() - 1);
            TLogWriter.cut(cur, check.cutAt());
        }
    }

    /**
     * After an unclean stop: every sealed SCO of a local TLog not yet on the backend must match
     * its SCO_SEALED record. Such a SCO may never have been forced; if a power loss kept the
     * TLog but not all of its data, the history cannot simply be cut (later sealed TLogs,
     * snapshots and the published manifest build on it), so the volume refuses to open
     * instead of serving other bytes than were written.
     */
    private static void checkSealedScos(VolumeContext ctx, VolumeManifest m, Path dir, long uploadedThrough) {
        for (long t : m.allTlogs()) {
            Path f = History.tlogFile(dir, t);
            if (t != m.nextTlogNumber() && !VolumeManifest.isUploaded(t, uploadedThrough) && Files.exists(f)) {
                checkSealedScosOf(ctx, m, f);
            }
        }
    }

    private static void checkSealedScosOf(VolumeContext ctx, VolumeManifest m, Path tlog) {
        String ns = m.config().namespace();
        long clusterSize = m.config().clusterSize();
        TLogReader.replayFile(tlog, TLogVisitor.sealedScos((scoId, crc, clusters) -> {
            Path sco = ctx.scoCache().file(ns, scoId);
            if (ctx.scoCache().isUploaded(ns, scoId) || !Files.exists(sco)) {
                return;
            }
            try {
                SealedScoFile.verify(sco, scoId, clusters * clusterSize, crc, ctx.scoCipher(ns));
            } catch (ScoFormatException e) {
                if (BackendScoCopy.matchesSeal(ctx.store(), ns, scoId, clusters * clusterSize, crc)) {
                    dropLocalCopy(ctx, m, scoId);
                    return;
                }
                throw new VolumeException("volume '" + m.name() + "' cannot restart from local flash: " + e.getMessage()
                        + " (sealed TLog " + tlog.getFileName() + "); writes logged after it were acknowledged but not "
                        + "flushed when the node stopped", e);
            }
        }));
    }

    private static void dropLocalCopy(VolumeContext ctx, VolumeManifest m, long scoId) {
        LOG.info("volume {}: the local copy of sealed SCO {} does not match its TLog, but the backend holds the SCO as sealed "
                + "(uploaded before the stop; local copies of uploaded SCOs are not forced): local copy dropped", m.name(),
                OpenSco.describe(scoId));
        ctx.scoCache().drop(m.config().namespace(), scoId);
    }

    /**
     * What the check found: the record to cut at (-1 for none) and why, and the sealed SCOs whose
     * local copy failed the check while the backend holds them.
     */
    record Result(int cutAt, String reason, Set<Long> onBackend) {
    }

    /**
     * Checks each logged cluster of a local SCO not marked uploaded; a failure in a SCO of
     * {@code sealed} (id to CRC32C and cluster count) is first looked up on the backend.
     */
    private static Result scan(VolumeContext ctx, Path tlog, String namespace, int clusterSize, Map<Long, int[]> sealed) {
        LocalScoCache cache = ctx.scoCache();
        Set<Long> onBackend = new HashSet<>();
        Set<Long> notOnBackend = new HashSet<>();
        ByteBuffer buf = ByteBuffer.allocateDirect(clusterSize);
        CRC32C crc = new CRC32C();
        int[] index = {0}; // record 0 is the header
        int[] cut = {-1};
        String[] reason = {null};
        long[] openId = {-1};
        FileChannel[] open = {null};
        Path[] openPath = {null};
        ScoFileCipher cipher = ctx.scoCipher(namespace);
        try {
            TLogReader.replayFile(tlog, new TLogVisitor() {
                @Override
                public void cluster(long lba, long loc, long hi, long lo, int dataCrc) {
                    index[0]++;
                    if (cut[0] >= 0 || loc == ClusterLocation.ZERO) {
                        return;
                    }
                    long id = ClusterLocation.scoId(loc);
                    if (onBackend.contains(id) || cache.isUploaded(namespace, id)) {
                        return;
                    }
                    try {
                        if (openId[0] != id) {
                            close(open[0]);
                            open[0] = null;
                            openId[0] = id;
                            Path f = cache.file(namespace, id);
                            openPath[0] = f;
                            if (Files.exists(f)) {
                                open[0] = FileChannel.open(f, StandardOpenOption.READ);
                            }
                        }
                        if (open[0] == null) {
                            return;
                        }
                        long pos = (long) ClusterLocation.offset(loc) * clusterSize;
                        buf.clear();
                        if (!readCluster(open[0], openPath[0], cipher, id, pos, buf)) {
                            if (!onBackend(id)) {
                                cut[0] = index[0];
                                reason[0] = "SCO " + ClusterLocation.toString(id) + " ends before cluster "
                                        + ClusterLocation.offset(loc) + " (LBA " + lba + ")"
                                        + (cipher == null ? "" : " or its file is not that SCO's");
                            }
                            return;
                        }
                        buf.flip();
                        crc.reset();
                        crc.update(buf);
                        if ((int) crc.getValue() != dataCrc && !onBackend(id)) {
                            cut[0] = index[0];
                            reason[0] = "cluster " + ClusterLocation.offset(loc) + " of SCO " + ClusterLocation.toString(id)
                                    + " (LBA " + lba + ") does not match the CRC32C in its TLog record";
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot check SCO data of TLog " + tlog, e);
                    }
                }

                /** True (and remembered) when {@code id} is sealed in this TLog and the backend holds it so. */
                private boolean onBackend(long id) {
                    int[] seal = sealed.get(id);
                    if (seal == null || notOnBackend.contains(id)) {
                        return false;
                    }
                    if (BackendScoCopy.matchesSeal(ctx.store(), namespace, id, (long) seal[1] * clusterSize, seal[0])) {
                        onBackend.add(id);
                        return true;
                    }
                    notOnBackend.add(id);
                    return false;
                }

                @Override
                public void scoSealed(long scoId, int crc32c, int clusters) {
                    index[0]++;
                }

                @Override
                public void syncPoint(long epochMillis) {
                    index[0]++;
                }

                @Override
                public void snapshot(long snapshotId) {
                    index[0]++;
                }
            });
        } finally {
            close(open[0]);
        }
        return new Result(cut[0], reason[0], onBackend);
    }

    /**
     * Reads the cluster at {@code pos} of SCO {@code id}'s file into {@code buf} (decrypted with
     * {@code cipher} when the volume is encrypted); false when the file ends before it, or is
     * another SCO's file.
     */
    private static boolean readCluster(FileChannel ch, Path f, ScoFileCipher cipher, long id, long pos, ByteBuffer buf)
            throws IOException {
        if (cipher != null) {
            return cipher.readData(ch, f, id, pos, buf);
        }
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                return false;
            }
        }
        return true;
    }

    private static void close(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only channel
            }
        }
    }
}
