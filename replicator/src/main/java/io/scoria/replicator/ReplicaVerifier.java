package io.scoria.replicator;

import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.manifest.VolumeManifestStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code verify} command for one volume: every TLog the target's newest manifest names, and
 * every SCO those TLogs seal, is read on both sites; the target's copy must pass the same checks
 * as a source object (TLog record and CHECKSUM CRC32Cs, SCO size and CRC32C from SCO_SEALED) and
 * have the CRC32C of the source's copy. An object the source no longer holds (scrubbed away
 * after it was shipped) is checked on the target only and counted apart. Reads everything twice;
 * single-threaded; stateless apart from its report.
 */
final class ReplicaVerifier {
    /** What a verification found; {@code problems} empty means the replica is sound. */
    record Report(String volume, long generation, int tlogs, int scos, long bytes, int sourceGone, List<String> problems) {
        String summary() {
            return String.format(Locale.ROOT, "%s: manifest generation %d: %d TLogs, %d SCOs, %.1f MiB compared%s: %s", volume,
                    generation, tlogs, scos, bytes / 1048576.0,
                    sourceGone > 0 ? " (" + sourceGone + " objects no longer on the source, checked on the target only)" : "",
                    problems.isEmpty() ? "OK" : problems.size() + " problems");
        }
    }

    private ReplicaVerifier() {
    }

    static Report verify(ObjectStore source, ObjectStore target, String ns) {
        ObjectTransfer.Site src = new ObjectTransfer.Site(source, ns);
        ObjectTransfer.Site tgt = new ObjectTransfer.Site(target, ns);
        VolumeManifest m = new VolumeManifestStore(target).readLatest(ns).orElseThrow(() ->
                new ReplicationException("target " + ReplicaRoles.where(target, ns) + " holds no replica"));
        List<String> problems = new ArrayList<>();
        int tlogs = 0;
        int scos = 0;
        int gone = 0;
        long bytes = 0;
        for (long t : m.allTlogs()) {
            String key = NamespaceLayout.tlogKey(t);
            List<ObjectTransfer.SealedSco> sealed = new ArrayList<>();
            ByteBuffer copy;
            try {
                copy = ObjectTransfer.readTlog(tgt, t, m.config().clusterSize(), sealed);
            } catch (SourceCorruptException | NotFoundException e) {
                problems.add(tgt.where(key) + ": " + e.getMessage());
                continue;
            }
            tlogs++;
            bytes += copy.remaining();
            int c = compare(src, key, OpenSco.checksum(copy), problems);
            gone += c;
            for (ObjectTransfer.SealedSco s : sealed) {
                ByteBuffer sco;
                try {
                    sco = target.get(ns, s.key());
                } catch (NotFoundException e) {
                    problems.add(tgt.where(s.key()) + ": missing (sealed by " + key + ")");
                    continue;
                }
                scos++;
                bytes += sco.remaining();
                int crc = OpenSco.checksum(sco);
                if (sco.remaining() != s.bytes() || crc != s.crc()) {
                    problems.add(String.format(Locale.ROOT, "%s: %d bytes, CRC32C %08x; %s's SCO_SEALED says %d bytes, %08x",
                            tgt.where(s.key()), sco.remaining(), crc, key, s.bytes(), s.crc()));
                    continue;
                }
                gone += compare(src, s.key(), crc, problems);
            }
        }
        return new Report(m.name(), m.generation(), tlogs, scos, bytes, gone, problems);
    }

    /** Compares the source object's CRC32C; returns 1 when the source no longer holds it. */
    private static int compare(ObjectTransfer.Site src, String key, int targetCrc, List<String> problems) {
        ByteBuffer original;
        try {
            original = src.store().get(src.namespace(), key);
        } catch (NotFoundException e) {
            return 1;
        }
        int crc = OpenSco.checksum(original);
        if (crc != targetCrc) {
            problems.add(String.format(Locale.ROOT, "%s: CRC32C %08x on the target, %08x on the source", key, targetCrc, crc));
        }
        return 0;
    }
}
