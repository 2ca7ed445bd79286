package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.tlog.TLogReader;

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
 * snapshots it was cloned from (locations get the ancestor's depth), then its own TLogs.
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

    /** Replays the ancestors of {@code m} (not m's own TLogs) into {@code map}. */
    static void replayAncestors(VolumeContext ctx, LbaMap map, VolumeManifest m) {
        if (m.parent() != null) {
            VolumeManifest p = ctx.manifestOf(m.parent().namespace());
            replay(ctx, map, p, 1, m.parent().snapshot());
        }
    }

    /**
     * Replays {@code m}'s ancestors and then its TLogs (all of them when {@code throughSnapshot}
     * is null) with locations moved {@code depth} levels down.
     */
    static void replay(VolumeContext ctx, LbaMap map, VolumeManifest m, int depth, String throughSnapshot) {
        if (m.parent() != null) {
            VolumeManifest p = ctx.manifestOf(m.parent().namespace());
            replay(ctx, map, p, depth + 1, m.parent().snapshot());
        }
        List<Long> tlogs = throughSnapshot == null ? m.allTlogs() : m.tlogsThrough(throughSnapshot);
        for (long t : tlogs) {
            replayTlog(ctx, map, m.config().namespace(), t, depth);
        }
    }

    static void replayTlog(VolumeContext ctx, LbaMap map, String namespace, long tlog, int depth) {
        TLogVisitor v = (lba, loc, hi, lo, crc) -> map.put(lba, ClusterLocation.deeper(loc, depth), hi, lo, crc);
        Path local = tlogFile(ctx.volumeDir(namespace), tlog);
        String what = namespace + "/" + NamespaceLayout.tlogKey(tlog);
        if (Files.exists(local)) {
            try (FileChannel ch = FileChannel.open(local, StandardOpenOption.READ)) {
                TLogReader.replaySealed(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()), what, v);
                return;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + local, e);
            }
        }
        ByteBuffer buf;
        try {
            buf = ctx.store().get(namespace, NamespaceLayout.tlogKey(tlog));
        } catch (RuntimeException e) {
            throw new VolumeException("cannot fetch TLog " + what + " from " + ctx.store().name() + ": " + e.getMessage(), e);
        }
        TLogReader.replaySealed(buf, what, v);
    }
}
