package io.scoria.scrubber;

import io.scoria.backend.CorruptDataException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.sco.ScrubbedTlogs;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogRecord;
import io.scoria.sco.tlog.TLogWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Scrubs one snapshot's segment of history (the TLogs written after the previous snapshot up
 * to this one). A cluster write is live when it is the last write of its LBA in the segment:
 * that is the value the snapshot (and, unless overwritten later, the current state) sees.
 * Earlier writes of the same LBA in the segment are dead. SCOs whose live fraction is below
 * the threshold are rewritten: their live clusters are copied, in TLog order, into new SCOs
 * (named after their first source SCO, one version higher), and the segment gets new TLogs
 * that hold only its live records. Every copied cluster is checked against the CRC32C its TLog
 * record holds, every source SCO against its sealed CRC32C. Not thread-safe.
 */
final class SegmentScrubber {
    private static final int MAX_RECORDS_PER_TLOG = 4 << 20;

    /** What scrubbing one segment produced. */
    record Outcome(ScrubResult.Segment segment, List<String> newScos, List<String> obsoleteScos, List<Long> obsoleteTlogs,
                   long examinedBytes, long reclaimedBytes, int scosExamined, int scosRewritten) {
    }

    private static final class ScoStat {
        int live;
        int records;
        int clusters = -1;
        int crc;
    }

    private final ObjectStore store;
    private final String namespace;
    private final VolumeManifest.Config volume;
    private final Path scratch;
    private final double threshold;
    private final Set<Long> protectedScos;
    private final WorkJournal journal;
    private final LbaBitmap lbas;
    private final LongList relocations;
    private final Runnable heartbeat;

    SegmentScrubber(ObjectStore store, String namespace, VolumeManifest.Config volume, Path scratch, double threshold,
                    Set<Long> protectedScos, WorkJournal journal, LbaBitmap lbas, LongList relocations, Runnable heartbeat) {
        this.store = store;
        this.namespace = namespace;
        this.volume = volume;
        this.scratch = scratch;
        this.threshold = threshold;
        this.protectedScos = protectedScos;
        this.journal = journal;
        this.lbas = lbas;
        this.relocations = relocations;
        this.heartbeat = heartbeat;
    }

    Outcome scrub(VolumeManifest.Snapshot snapshot) {
        List<ByteBuffer> tlogs = download(snapshot.tlogs());
        Map<Long, ScoStat> scos = new HashMap<>();
        List<BitSet> live = markLive(tlogs, scos);

        Set<Long> rewrite = new HashSet<>();
        long examined = 0;
        long freed = 0;
        for (Map.Entry<Long, ScoStat> e : scos.entrySet()) {
            ScoStat s = e.getValue();
            if (s.clusters <= 0) {
                continue;
            }
            long bytes = (long) s.clusters * volume.clusterSize();
            examined += bytes;
            long id = e.getKey();
            boolean rewritable = !protectedScos.contains(id) && ClusterLocation.depth(id) == 0
                    && ClusterLocation.version(id) < 255;
            if (rewritable && s.live < threshold * s.clusters) {
                rewrite.add(id);
                freed += bytes - (long) s.live * volume.clusterSize();
            }
        }
        if (rewrite.isEmpty()) {
            return new Outcome(new ScrubResult.Segment(snapshot.id(), snapshot.name(), snapshot.tlogs(), snapshot.tlogs(), false),
                    List.of(), List.of(), List.of(), examined, 0, scos.size(), 0);
        }
        Rewrite out = new Rewrite(snapshot, rewrite);
        out.run(tlogs, live, scos);
        List<String> obsolete = rewrite.stream().sorted().map(NamespaceLayout::scoKey).toList();
        return new Outcome(new ScrubResult.Segment(snapshot.id(), snapshot.name(), snapshot.tlogs(), out.newTlogs, true),
                out.newScos, obsolete, snapshot.tlogs(), examined, freed, scos.size(), rewrite.size());
    }

    private List<ByteBuffer> download(List<Long> numbers) {
        List<ByteBuffer> out = new ArrayList<>(numbers.size());
        for (long n : numbers) {
            String key = NamespaceLayout.tlogKey(n);
            ByteBuffer buf = store.get(namespace, key).order(ByteOrder.LITTLE_ENDIAN);
            TLogReader.replaySealed(buf, store.name() + ":" + namespace + "/" + key, null);
            out.add(buf);
            heartbeat.run();
        }
        return out;
    }

    /** Backward pass: marks, per TLog, which records are live, and counts clusters per SCO. */
    private List<BitSet> markLive(List<ByteBuffer> tlogs, Map<Long, ScoStat> scos) {
        lbas.clear();
        List<BitSet> live = new ArrayList<>(tlogs.size());
        for (int t = 0; t < tlogs.size(); t++) {
            live.add(new BitSet());
        }
        for (int t = tlogs.size() - 1; t >= 0; t--) {
            ByteBuffer b = tlogs.get(t);
            int records = b.limit() / TLogRecord.SIZE;
            for (int i = records - 1; i >= 0; i--) {
                int base = i * TLogRecord.SIZE;
                int type = b.getInt(base);
                if (type == TLogRecord.SCO_SEALED) {
                    ScoStat s = scos.computeIfAbsent(b.getLong(base + 8), k -> new ScoStat());
                    s.crc = (int) b.getLong(base + 16);
                    s.clusters = (int) b.getLong(base + 24);
                } else if (TLogRecord.setsCluster(type)) {
                    long lba = b.getLong(base + 8);
                    long location = b.getLong(base + 16);
                    boolean isLive = !lbas.testAndSet(lba);
                    if (isLive) {
                        live.get(t).set(i);
                    }
                    if (location != ClusterLocation.ZERO) {
                        ScoStat s = scos.computeIfAbsent(ClusterLocation.scoId(location), k -> new ScoStat());
                        s.records++;
                        if (isLive) {
                            s.live++;
                        }
                    }
                }
            }
        }
        return live;
    }

    /** Forward pass for a segment with SCOs to rewrite. */
    private final class Rewrite {
        private final VolumeManifest.Snapshot snapshot;
        private final Set<Long> rewrite;
        private final List<Long> newTlogs = new ArrayList<>();
        private final List<String> newScos = new ArrayList<>();
        private final ByteBuffer output;
        private final int clustersPerSco;
        private final CRC32C crc = new CRC32C();
        private long outNumber;
        private int outVersion;
        private int outClusters;
        private long inputId = -1;
        private ByteBuffer input;
        private TLogWriter tlog;
        private int tlogIndex;

        Rewrite(VolumeManifest.Snapshot snapshot, Set<Long> rewrite) {
            this.snapshot = snapshot;
            this.rewrite = rewrite;
            this.output = ByteBuffer.allocateDirect(volume.scoSize());
            this.clustersPerSco = volume.scoSize() / volume.clusterSize();
        }

        void run(List<ByteBuffer> tlogs, List<BitSet> live, Map<Long, ScoStat> scos) {
            int liveRecords = live.stream().mapToInt(BitSet::cardinality).sum();
            int sealedRecords = scos.size() + liveRecords / Math.max(1, clustersPerSco) + 2;
            int capacity = Math.min(MAX_RECORDS_PER_TLOG, liveRecords + sealedRecords + 16);
            try {
                openTlog(capacity);
                for (int t = 0; t < tlogs.size(); t++) {
                    ByteBuffer b = tlogs.get(t);
                    int records = b.limit() / TLogRecord.SIZE;
                    BitSet liveHere = live.get(t);
                    for (int i = 0; i < records; i++) {
                        copyRecord(b, i * TLogRecord.SIZE, liveHere.get(i), scos, capacity);
                    }
                }
                sealOutputSco();
                closeTlog();
            } finally {
                if (tlog != null) {
                    tlog.close();
                }
            }
        }

        private void copyRecord(ByteBuffer b, int base, boolean isLive, Map<Long, ScoStat> scos, int capacity) {
            int type = b.getInt(base);
            long a = b.getLong(base + 8);
            long bb = b.getLong(base + 16);
            long c = b.getLong(base + 24);
            long d = b.getLong(base + 32);
            long e = b.getLong(base + 40);
            if (tlog.remaining() < 3) {
                closeTlog();
                openTlog(capacity);
            }
            switch (type) {
                case TLogRecord.CLUSTER, TLogRecord.HYDRATED -> {
                    if (!isLive) {
                        return;
                    }
                    long scoId = ClusterLocation.scoId(bb);
                    long at = bb;
                    if (bb != ClusterLocation.ZERO && rewrite.contains(scoId)) {
                        at = copyCluster(bb, (int) e, scos.get(scoId));
                        relocations.add(a);
                        relocations.add(bb);
                        relocations.add(at);
                    }
                    if (type == TLogRecord.HYDRATED) {
                        tlog.hydrated(a, at, c, d, (int) e); // stays a copy: changed ranges skip it
                    } else {
                        tlog.cluster(a, at, c, d, (int) e);
                    }
                }
                case TLogRecord.SCO_SEALED -> {
                    if (!rewrite.contains(a)) {
                        tlog.scoSealed(a, (int) bb, (int) c);
                    }
                }
                case TLogRecord.SNAPSHOT -> {
                    sealOutputSco();
                    tlog.snapshot(a);
                }
                default -> {
                    // HEADER and CHECKSUM frame each TLog; SYNC points carry no state
                }
            }
        }

        private long copyCluster(long location, int dataCrc, ScoStat stat) {
            long scoId = ClusterLocation.scoId(location);
            if (scoId != inputId) {
                loadInput(scoId, stat);
            }
            int cs = volume.clusterSize();
            int offset = ClusterLocation.offset(location);
            ByteBuffer cluster = input.duplicate().position(offset * cs).limit(offset * cs + cs);
            crc.reset();
            crc.update(cluster.duplicate());
            if ((int) crc.getValue() != dataCrc) {
                throw new CorruptDataException(store.name() + ":" + namespace + "/" + NamespaceLayout.scoKey(scoId)
                        + ": cluster at offset " + offset + " fails the CRC32C recorded in its TLog");
            }
            if (outClusters == clustersPerSco) {
                sealOutputSco();
            }
            if (outClusters == 0) {
                outNumber = ClusterLocation.scoNumber(scoId);
                outVersion = ClusterLocation.version(scoId) + 1;
                output.clear();
            }
            output.put(cluster);
            return ClusterLocation.of(outNumber, outVersion, 0, outClusters++);
        }

        private void loadInput(long scoId, ScoStat stat) {
            String key = NamespaceLayout.scoKey(scoId);
            ByteBuffer data = store.get(namespace, key);
            long expected = (long) stat.clusters * volume.clusterSize();
            if (data.remaining() != expected) {
                throw new CorruptDataException(store.name() + ":" + namespace + "/" + key + " holds " + data.remaining()
                        + " bytes, its TLog says " + expected);
            }
            if (OpenSco.checksum(data) != stat.crc) {
                throw new CorruptDataException(store.name() + ":" + namespace + "/" + key
                        + " fails the CRC32C recorded when it was sealed");
            }
            input = data;
            inputId = scoId;
            heartbeat.run();
        }

        private void sealOutputSco() {
            if (outClusters == 0) {
                return;
            }
            ByteBuffer content = output.duplicate().flip();
            String key = NamespaceLayout.scoKey(outNumber, outVersion);
            journal.willWrite(key);
            store.put(namespace, key, content);
            newScos.add(key);
            tlog.scoSealed(ClusterLocation.of(outNumber, outVersion, 0, 0), OpenSco.checksum(content), outClusters);
            outClusters = 0;
            heartbeat.run();
        }

        private void openTlog(int capacity) {
            long number = ScrubbedTlogs.outputNumber(snapshot.tlogs().get(0), tlogIndex++);
            Path file = scratch.resolve("tlog-" + Long.toHexString(number));
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            tlog = TLogWriter.create(file, number, capacity, volume.clusterSize());
        }

        private void closeTlog() {
            tlog.seal();
            String key = NamespaceLayout.tlogKey(tlog.number());
            journal.willWrite(key);
            store.put(namespace, key, tlog.contents());
            newTlogs.add(tlog.number());
            tlog.close();
            try {
                Files.deleteIfExists(tlog.path());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            tlog = null;
        }
    }
}
