package io.scoria.accelerator.volume;

import io.scoria.sco.VolumeManifest;

/**
 * What a volume's {@link VolumeUploads} reads of the volume it uploads: the manifest to publish,
 * and whether the tasks it queued are still wanted. Implemented by {@link VolumeLog}; read on the
 * uploader's thread, so every method is a read of volatile state.
 */
interface UploadSource {
    /** The current manifest (local copy). */
    VolumeManifest manifest();

    /** Changes whenever a rollback or reset discards history: upload tasks queued before it are dropped. */
    long epoch();

    /** The volume is being deleted: no more uploads. */
    boolean isDeleted();

    /** The volume's replication fence: checked before each manifest publish; once tripped, no more uploads. */
    ReplicationFence fence();
}
