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
 * @param formatVersion  {@link #FORMAT_VERSION}; readers refuse any other value
 * @param volumeId       a random UUID in its canonical text form
 * @param createdMillis  wall clock when the id was made, for operators
 */
public record VolumeIdentity(int formatVersion, String volumeId, long createdMillis) {
    public static final int FORMAT_VERSION = 1;
    /** Object key inside the volume's namespace. */
    public static final String KEY = "replication/identity";

    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    public VolumeIdentity {
        if (formatVersion != FORMAT_VERSION) {
            throw new ScoFormatException("volume identity format version " + formatVersion
                    + " is not supported (this build reads " + FORMAT_VERSION + ")");
        }
        checkId(volumeId);
    }

    public static VolumeIdentity random(long nowMillis) {
        return new VolumeIdentity(FORMAT_VERSION, UUID.randomUUID().toString(), nowMillis);
    }

    static void checkId(String id) {
        if (id == null || !UUID_TEXT.matcher(id).matches()) {
            throw new ScoFormatException("volume id must be a lower-case UUID: " + id);
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
