package io.scoria.accelerator.volume;

import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.tlog.TLogWriter;

/**
 * The files one FLUSH (or FUA) must force, captured by {@link VolumeLog#beginFlush()} under the
 * append lock: the sealed SCOs neither forced nor uploaded at that moment, the open SCO and the
 * open TLog. {@link #force()} runs after the append lock is released (writers append meanwhile
 * and never wait for the fsync), still under the structure lock shared, so no file is discarded
 * under it. Used by one thread, once.
 */
final class PendingFlush {
    private final VolumeUploads uploads;
    private final long[] sealed;
    private final OpenSco open;
    private final TLogWriter log;

    PendingFlush(VolumeUploads uploads, long[] sealed, OpenSco open, TLogWriter log) {
        this.uploads = uploads;
        this.sealed = sealed;
        this.open = open;
        this.log = log;
    }

    /**
     * Forces SCO data before the TLog that references it (a restart refuses a TLog naming
     * clusters its SCO file lacks). A sealed SCO whose file is gone was uploaded and
     * evicted, or discarded by a scrub: nothing of it needs to be forced.
     */
    void force() {
        for (long id : sealed) {
            if (uploads.isUnforced(id)) {
                uploads.forceSealed(id);
            }
        }
        if (open != null) {
            open.force();
        }
        log.force();
    }
}
