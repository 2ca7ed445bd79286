package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.backend.BackendException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Whether the backend holds a sealed SCO exactly as its TLog's SCO_SEALED record describes it.
 *
 * <p>A sealed SCO's local file is forced by a FLUSH or a clean close only while the SCO is not
 * yet uploaded: once the backend holds it, the local copy is a cache that the kernel writes back
 * when it likes, and its {@code .uploaded} marker is not forced either. After a power loss a
 * restart can therefore find a sealed SCO whose local file does not match its seal, and no marker
 * saying it was uploaded; the restart checks ask here before they treat its clusters as lost.
 * Reads the whole object (a restart after a power loss only, once per such SCO).
 */
final class BackendScoCopy {
    private static final int CHUNK = 1 << 20;

    private BackendScoCopy() {
    }

    /**
     * True when {@code store} holds SCO {@code scoId} of {@code namespace} with {@code bytes}
     * bytes whose CRC32C is {@code crc}; false when it is missing or differs.
     *
     * @throws VolumeException naming the SCO when the backend cannot answer (the caller must not
     *                         decide that data is lost without asking; retry once it is back)
     */
    static boolean matchesSeal(ObjectStore store, String namespace, long scoId, long bytes, int crc) {
        String key = NamespaceLayout.scoKey(scoId);
        try {
            ObjectInfo info = store.stat(namespace, key);
            if (info.size() != bytes) {
                return false;
            }
            CRC32C c = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(bytes, 1)));
            for (long off = 0; off < bytes; off += buf.capacity()) {
                buf.clear().limit((int) Math.min(buf.capacity(), bytes - off));
                store.read(namespace, key, off, buf);
                buf.flip();
                c.update(buf);
            }
            return (int) c.getValue() == crc;
        } catch (NotFoundException e) {
            return false;
        } catch (BackendException e) {
            throw new VolumeException("the local copy of SCO " + namespace + "/" + key + " does not match its TLog, and "
                    + "whether backend " + store.name() + " holds it cannot be checked (" + e.getMessage()
                    + "); nothing was changed, open the volume again once the backend is reachable", e);
        }
    }
}
