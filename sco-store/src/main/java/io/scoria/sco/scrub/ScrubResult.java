package io.scoria.sco.scrub;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.VolumeManifest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * What one scrub run produced for a namespace (FORMATS.md, "Scrub result"): for each scrubbed
 * snapshot the TLogs it replaces and the TLogs that replace them, the new SCOs, the SCOs and
 * TLogs that become obsolete once the result is applied, and the relocations
 * {@code (lba, old location, new location)} of every live cluster that moved.
 *
 * <p>Binary layout, little endian: {@code long magic "SCOSCRB1" | int version | int headerLength |
 * header JSON | long relocationCount | relocationCount × (long lba, long old, long new) |
 * int crc32c} where the CRC covers every byte before it. Immutable; {@link #relocations()}
 * returns a read-only view.
 *
 * @param id             unique, deterministic for the same inputs (so a re-run writes the same key)
 * @param namespace      the scrubbed volume namespace
 * @param baseGeneration manifest generation the scrub read
 * @param segments       scrubbed snapshots, oldest first
 * @param newScos        keys of SCOs written by the scrub
 * @param obsoleteScos   keys of SCOs no longer referenced after apply
 * @param obsoleteTlogs  TLog numbers no longer referenced after apply
 * @param examinedBytes  bytes of SCO data examined
 * @param reclaimedBytes bytes freed when the obsolete SCOs are deleted, minus the new SCOs
 */
public record ScrubResult(String id, String namespace, long baseGeneration, List<Segment> segments,
                          List<String> newScos, List<String> obsoleteScos, List<Long> obsoleteTlogs,
                          long examinedBytes, long reclaimedBytes, long[] relocationTriples) {
    public static final long MAGIC = 0x3142524353_4f4353L;
    public static final int VERSION = 1;
    public static final String PREFIX = "scrub/result/";
    public static final String LEASE_KEY = "scrub/lease";
    public static final String WORK_KEY = "scrub/work-in-progress";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One scrubbed snapshot.
     *
     * @param changed false when nothing in it was worth rewriting: {@code newTlogs == oldTlogs}
     */
    public record Segment(long snapshotId, String snapshotName, List<Long> oldTlogs, List<Long> newTlogs, boolean changed) {
        public Segment {
            Objects.requireNonNull(snapshotName, "snapshotName");
            oldTlogs = List.copyOf(oldTlogs);
            newTlogs = List.copyOf(newTlogs);
        }
    }

    private record Header(String id, String namespace, long baseGeneration, List<Segment> segments, List<String> newScos,
                          List<String> obsoleteScos, List<Long> obsoleteTlogs, long examinedBytes, long reclaimedBytes) {
    }

    public ScrubResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(namespace, "namespace");
        segments = List.copyOf(segments);
        newScos = List.copyOf(newScos);
        obsoleteScos = List.copyOf(obsoleteScos);
        obsoleteTlogs = List.copyOf(obsoleteTlogs);
        Objects.requireNonNull(relocationTriples, "relocationTriples");
        if (relocationTriples.length % 3 != 0) {
            throw new IllegalArgumentException("relocationTriples length must be a multiple of 3: " + relocationTriples.length);
        }
    }

    /** The backend key of the result with this id. */
    public static String key(String id) {
        return PREFIX + id;
    }

    public String key() {
        return key(id);
    }

    public int relocationCount() {
        return relocationTriples.length / 3;
    }

    public long relocationLba(int i) {
        return relocationTriples[3 * i];
    }

    public long relocationOld(int i) {
        return relocationTriples[3 * i + 1];
    }

    public long relocationNew(int i) {
        return relocationTriples[3 * i + 2];
    }

    /**
     * The manifest with this result applied: each scrubbed snapshot gets its new TLogs and is
     * marked scrubbed. The generation is unchanged; the caller publishes it as the next one.
     *
     * @throws StaleScrubResultException if the result was applied already or the manifest's
     *                                   history changed since the scrub read it
     */
    public VolumeManifest applyTo(VolumeManifest manifest) {
        if (!manifest.config().namespace().equals(namespace)) {
            throw new StaleScrubResultException("scrub result " + id + " is for namespace '" + namespace
                    + "', not '" + manifest.config().namespace() + "'");
        }
        List<VolumeManifest.Snapshot> snaps = new ArrayList<>(manifest.snapshots());
        for (Segment seg : segments) {
            int index = -1;
            for (int i = 0; i < snaps.size(); i++) {
                if (snaps.get(i).id() == seg.snapshotId()) {
                    index = i;
                }
            }
            if (index < 0) {
                throw new StaleScrubResultException("scrub result " + id + " refers to snapshot '" + seg.snapshotName()
                        + "' (id " + seg.snapshotId() + "), which volume '" + manifest.name()
                        + "' no longer has (rolled back or deleted)");
            }
            VolumeManifest.Snapshot s = snaps.get(index);
            if (s.scrubbed() && s.tlogs().equals(seg.newTlogs())) {
                throw new ScrubResultAppliedException("scrub result " + id + " was already applied to snapshot '"
                        + s.name() + "' of volume '" + manifest.name() + "'");
            }
            if (!s.tlogs().equals(seg.oldTlogs())) {
                throw new StaleScrubResultException("scrub result " + id + " expected snapshot '" + s.name()
                        + "' to hold TLogs " + seg.oldTlogs() + " but it holds " + s.tlogs()
                        + ": the volume changed since the scrub ran");
            }
            snaps.set(index, new VolumeManifest.Snapshot(s.name(), s.id(), s.createdMillis(), seg.newTlogs(), true));
        }
        return manifest.withHistory(snaps, manifest.currentTlogs());
    }

    /** Serialises the result with its checksum. */
    public ByteBuffer encode() {
        byte[] header;
        try {
            header = JSON.writeValueAsBytes(new Header(id, namespace, baseGeneration, segments, newScos, obsoleteScos,
                    obsoleteTlogs, examinedBytes, reclaimedBytes));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise scrub result header", e);
        }
        int size = 8 + 4 + 4 + header.length + 8 + relocationTriples.length * 8 + 4;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putInt(VERSION).putInt(header.length).put(header).putLong(relocationCount());
        for (long v : relocationTriples) {
            b.putLong(v);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** Parses and verifies a result; {@code what} names the object in errors. */
    public static ScrubResult decode(ByteBuffer src, String what) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 28) {
            throw new ScoFormatException(what + " is too short to be a scrub result (" + b.remaining() + " bytes)");
        }
        int start = b.position();
        int end = b.limit();
        CRC32C crc = new CRC32C();
        ByteBuffer body = b.duplicate().position(start).limit(end - 4);
        crc.update(body);
        if ((int) crc.getValue() != b.getInt(end - 4)) {
            throw new ScoFormatException(what + " fails its CRC32C checksum: the scrub result is corrupt");
        }
        if (b.getLong() != MAGIC) {
            throw new ScoFormatException(what + " is not a scrub result (bad magic)");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new ScoFormatException(what + " has scrub result version " + version + ", this build reads " + VERSION);
        }
        int headerLength = b.getInt();
        if (headerLength < 2 || headerLength > end - b.position() - 12) {
            throw new ScoFormatException(what + " has an invalid header length " + headerLength);
        }
        byte[] json = new byte[headerLength];
        b.get(json);
        Header h;
        try {
            h = JSON.readValue(json, Header.class);
        } catch (IOException e) {
            throw new ScoFormatException(what + " has an unreadable header: " + e.getMessage(), e);
        }
        long count = b.getLong();
        if (count < 0 || count * 24 != end - 4 - b.position()) {
            throw new ScoFormatException(what + " declares " + count + " relocations but holds " + (end - 4 - b.position()) + " bytes");
        }
        long[] triples = new long[(int) count * 3];
        for (int i = 0; i < triples.length; i++) {
            triples[i] = b.getLong();
        }
        return new ScrubResult(h.id(), h.namespace(), h.baseGeneration(), h.segments(), h.newScos(), h.obsoleteScos(),
                h.obsoleteTlogs(), h.examinedBytes(), h.reclaimedBytes(), triples);
    }
}
