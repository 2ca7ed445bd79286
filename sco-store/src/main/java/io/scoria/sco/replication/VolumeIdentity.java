package io.scoria.sco.replication;

import io.scoria.sco.ScoFormatException;

import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The identity of a replicated volume (FORMATS.md, "Replication state"): object {@link #KEY} in
 * the source volume's namespace, written once by the first replication job (put-if-absent where
 * the store supports it) and never changed. Two volumes of the same name on two sites are the
 * same volume only if they carry the same id; a volume deleted and created again under its old
 * name gets a new one. Immutable.
 *
 * @param formatVersion  {@link #FORMAT_VERSION} (2): {@code volumeId} is the volume manifest's {@code volumeId}
 *                       (32 hex digits) or, for a volume whose manifest has none, a random UUID; version 1 (a
 *                       random UUID only) is still read; readers refuse any other value
 * @param volumeId       see {@code formatVersion}
 * @param createdMillis  wall clock when the id was made, for operators
 */
public record VolumeIdentity(int formatVersion, String volumeId, long createdMillis) {
    public static final int FORMAT_VERSION = 2;
    /** The first version: {@code volumeId} is always a random UUID. */
    public static final int FORMAT_VERSION_1 = 1;
    /** Object key inside the volume's namespace. */
    public static final String KEY = "replication/identity";

    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern MANIFEST_ID = Pattern.compile("[0-9a-f]{32}");

    public VolumeIdentity {
        if (formatVersion != FORMAT_VERSION && formatVersion != FORMAT_VERSION_1) {
            throw new ScoFormatException("volume identity format version " + formatVersion
                    + " is not supported (this build reads " + FORMAT_VERSION_1 + " and " + FORMAT_VERSION + ")");
        }
        checkId(formatVersion, volumeId);
    }

    /** A new identity for a volume whose manifest carries no {@code volumeId} (schema 1): a random UUID. */
    public static VolumeIdentity random(long nowMillis) {
        return new VolumeIdentity(FORMAT_VERSION, UUID.randomUUID().toString(), nowMillis);
    }

    /**
     * The identity of a volume: its manifest's {@code volumeId} (schema 2), so the replication id
     * and the volume id are one; a random UUID when {@code manifestVolumeId} is null (schema 1).
     */
    public static VolumeIdentity of(String manifestVolumeId, long nowMillis) {
        return manifestVolumeId == null ? random(nowMillis) : new VolumeIdentity(FORMAT_VERSION, manifestVolumeId, nowMillis);
    }

    /** Checks an id as version {@code formatVersion} allows it: a UUID (1 and 2) or a manifest's id (2). */
    static void checkId(int formatVersion, String id) {
        boolean ok = id != null && (UUID_TEXT.matcher(id).matches()
                || (formatVersion >= FORMAT_VERSION && MANIFEST_ID.matcher(id).matches()));
        if (!ok) {
            throw new ScoFormatException("volume id must be a lower-case UUID" + (formatVersion >= FORMAT_VERSION
                    ? " or a volume manifest's volumeId (32 lower-case hex digits)" : " in format version 1") + ": " + id);
        }
    }

    public ByteBuffer encode() {
        return ReplicationJson.encode(this);
    }

    /** @param what names the object in error messages */
    public static VolumeIdentity decode(ByteBuffer data, String what) {
        return ReplicationJson.decode(data, VolumeIdentity.class, what, "volume identity");
    }

}
