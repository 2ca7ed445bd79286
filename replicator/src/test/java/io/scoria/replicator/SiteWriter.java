package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.tlog.TLogWriter;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Continues an existing volume on one site the way a router that opened it there does: the next
 * SCO and TLog numbers come from what the namespace lists, one TLog with one SCO per call, then
 * a manifest one generation up. So two sites that write after a split pick the same numbers, as
 * real routers would. Test fixture.
 */
final class SiteWriter {
    private SiteWriter() {
    }

    /** Writes {@code clusters} (LBA → bytes) as one SCO and one sealed TLog and publishes it; returns the bytes put. */
    static long append(ObjectStore store, String ns, Path tmp, Map<Long, byte[]> clusters) {
        VolumeManifestStore manifests = new VolumeManifestStore(store);
        VolumeManifest m = manifests.readLatest(ns).orElseThrow();
        int cs = m.config().clusterSize();
        long tlog = 1 + store.listAll(ns, NamespaceLayout.TLOG_PREFIX).stream()
                .mapToLong(o -> NamespaceLayout.tlogNumber(o.key())).max().orElse(0);
        long sco = 1 + store.listAll(ns, NamespaceLayout.SCO_PREFIX).stream()
                .mapToLong(o -> NamespaceLayout.scoNumber(o.key())).max().orElse(0);
        ByteBuffer content = ByteBuffer.allocate(clusters.size() * cs);
        try (TLogWriter w = TLogWriter.create(tmp.resolve(ns + "-" + Integer.toHexString(store.name().hashCode()) + "-" + tlog + "-" + System.nanoTime()), tlog, 1000, cs)) {
            int offset = 0;
            for (Map.Entry<Long, byte[]> e : clusters.entrySet()) {
                CRC32C crc = new CRC32C();
                crc.update(e.getValue());
                content.put(e.getValue());
                w.cluster(e.getKey(), ClusterLocation.of(sco, 0, 0, offset++), e.getKey(), 7, (int) crc.getValue());
            }
            content.flip();
            store.put(ns, NamespaceLayout.scoKey(sco, 0), content);
            w.scoSealed(ClusterLocation.of(sco, 0, 0, 0), OpenSco.checksum(content), offset);
            w.seal();
            ByteBuffer bytes = w.contents();
            store.put(ns, NamespaceLayout.tlogKey(tlog), bytes);
            manifests.publish(ns, m.withTlog(tlog).withCounters(sco + 1, tlog + 1, m.nextSnapshotId())
                    .withGeneration(m.generation() + 1));
            return content.limit() + bytes.remaining();
        }
    }
}
