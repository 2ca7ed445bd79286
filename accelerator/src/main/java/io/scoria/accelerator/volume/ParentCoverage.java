package io.scoria.accelerator.volume;

import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.tlog.TLogReader;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which snapshots of a clone still read from its parent: the clusters with data in the parent's
 * history at the clone's snapshot are marked; the clone's own TLogs are replayed in order and unmark
 * every cluster they write (data, zero or trim); a snapshot taken while marks remain would lose those
 * clusters if the parent link were cut. Once no mark remains, that snapshot and every later one are
 * complete on their own. Stateless; reads TLogs (local copies, else the backend).
 */
final class ParentCoverage {
    private ParentCoverage() {
    }

    /** Names of the snapshots of clone {@code m} that still need its parent, oldest first. */
    static List<String> snapshotsNeedingParent(VolumeContext ctx, VolumeManifest m) {
        if (m.parent() == null || m.snapshots().isEmpty()) {
            return List.of();
        }
        if (m.config().clusters() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("volume '" + m.name() + "' has more than 2^31 clusters");
        }
        BitSet marked = new BitSet();
        VolumeManifest parent = ctx.manifestOf(m.parent().namespace());
        for (History.Source s : History.collect(ctx, parent, 1, m.parent().snapshot())) {
            TLogReader.replaySealed(s.content(), s.namespace() + "/" + NamespaceLayout.tlogKey(s.tlog()),
                    (lba, loc, hi, lo, crc) -> marked.set((int) lba, loc != ClusterLocation.ZERO));
        }
        String ns = m.config().namespace();
        List<String> out = new ArrayList<>();
        for (VolumeManifest.Snapshot snap : m.snapshots()) {
            for (long t : snap.tlogs()) {
                TLogReader.replaySealed(History.load(ctx, ns, t), ns + "/" + NamespaceLayout.tlogKey(t),
                        (lba, loc, hi, lo, crc) -> marked.clear((int) lba));
            }
            if (marked.isEmpty()) {
                break;
            }
            out.add(snap.name());
        }
        return out;
    }
}
