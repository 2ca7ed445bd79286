package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.metadata.LbaBatch;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.Durable;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rebuilds LBA maps by replaying TLogs: a clone first replays its ancestors up to the
 * snapshots it was cloned from (locations get the ancestor's depth), then its own TLogs; a clone
 * whose map lies over its parent snapshot's ({@link ParentMaps}) replays only its own.
 * Stateless.
 */
final class History {
    private History() {
    }

    static Path tlogFile(Path volumeDir, long number) {
        return volumeDir.resolve("tlogs").resolve(String.format(Locale.ROOT, "%016x.tlog", number));
    }

    /** Namespaces of the chain: [own, parent, grandparent, ...]. */
    static List<String> chain(VolumeContext ctx, VolumeManifest m) {
        List<String> chain = new ArrayList<>();
        chain.add(m.config().namespace());
        VolumeManifest cur = m;
        while (cur.parent() != null) {
            chain.add(cur.parent().namespace());
            cur = ctx.manifestOf(cur.parent().namespace());
        }
        return chain;
    }

    /** A TLog to replay: its bytes and the depth its locations move to. */
    record Source(String namespace, long tlog, int depth, ByteBuffer content) {
    }

    /**
     * Loads (local copy, else backend) every TLog that {@link #apply} needs to rebuild the map
     * of {@code m}: ancestors up to their snapshots, then {@code m}'s own TLogs (all of them when
     * {@code throughSnapshot} is null). Changes nothing but local TLog copies, so a failure
     * (backend down) leaves the volume as it was.
     */
    static List<Source> collect(VolumeContext ctx, VolumeManifest m, int depth, String throughSnapshot) {
        return collect(ctx, m, depth, throughSnapshot, false);
    }

    /**
     * As {@link #collect(VolumeContext, VolumeManifest, int, String)}; with {@code ownOnly}, only
     * {@code m}'s own TLogs: what a map laid over its parent's ({@link LbaMap#layered}) replays.
     */
    static List<Source> collect(VolumeContext ctx, VolumeManifest m, int depth, String throughSnapshot, boolean ownOnly) {
        List<Source> out = new ArrayList<>();
        collect(ctx, m, depth, throughSnapshot, ownOnly, out);
        return out;
    }

    private static void collect(VolumeContext ctx, VolumeManifest m, int depth, String throughSnapshot, boolean ownOnly,
                                List<Source> out) {
        if (m.parent() != null && !ownOnly) {
            VolumeManifest p = ctx.manifestOf(m.parent().namespace());
            collect(ctx, p, depth + 1, m.parent().snapshot(), false, out);
        }
        List<Long> tlogs = throughSnapshot == null ? m.allTlogs() : m.tlogsThrough(throughSnapshot);
        for (long t : tlogs) {
            out.add(new Source(m.config().namespace(), t, depth, load(ctx, m.config().namespace(), t)));
        }
    }

    /** Most TLog entries one replay buffers before it writes them to the map (28 bytes off-heap, 16 on the heap each). */
    private static final int REPLAY_BATCH = 1 << 20;

    /**
     * Replays what {@link #collect} loaded into {@code map}, in order (a later entry for an LBA
     * wins), through a sorted bulk update.
     */
    static void apply(LbaMap map, List<Source> sources) {
        long entries = 0;
        for (Source s : sources) {
            entries += s.content().remaining() / TLogRecord.SIZE;
        }
        try (LbaBatch batch = map.batch((int) Math.max(1024, Math.min(REPLAY_BATCH, entries)))) {
            for (Source s : sources) {
                int depth = s.depth();
                TLogVisitor v = depth == 0 ? batch::put
                        : (lba, loc, hi, lo, crc) -> batch.put(lba, ClusterLocation.deeper(loc, depth), hi, lo, crc);
                TLogReader.replaySealed(s.content(), s.namespace() + "/" + NamespaceLayout.tlogKey(s.tlog()), v);
            }
            batch.flush();
        }
    }

    /** Rebuilds {@code map}: the whole history, or only {@code m}'s own TLogs if the map lies over its parent's. */
    static void replay(VolumeContext ctx, LbaMap map, VolumeManifest m, int depth, String throughSnapshot) {
        apply(map, collect(ctx, m, depth, throughSnapshot, map.layered()));
    }

    /**
     * The sealed TLog's bytes: the local copy, else a backend download, which is kept as a
     * local copy when this node holds the volume.
     */
    static ByteBuffer load(VolumeContext ctx, String namespace, long tlog) {
        Path vdir = ctx.volumeDir(namespace);
        Path local = tlogFile(vdir, tlog);
        if (Files.exists(local)) {
            try (FileChannel ch = FileChannel.open(local, StandardOpenOption.READ)) {
                return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + local, e);
            }
        }
        String what = namespace + "/" + NamespaceLayout.tlogKey(tlog);
        ByteBuffer buf;
        try {
            buf = ctx.store().get(namespace, NamespaceLayout.tlogKey(tlog));
        } catch (RuntimeException e) {
            throw new VolumeException("cannot fetch TLog " + what + " from " + ctx.store().name() + ": " + e.getMessage(), e);
        }
        TLogReader.replaySealed(buf, what, null);
        if (Files.exists(vdir.resolve("volume.json")) || Files.isDirectory(vdir.resolve("tlogs"))) {
            try {
                Files.createDirectories(local.getParent());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot keep a local copy of " + what + " in " + local, e);
            }
            Durable.replace(local, buf);
        }
        return buf;
    }
}
