package io.scoria.accelerator.volume;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upload queues of volumes this node closed (an idle close, a plain close) whose tasks have not
 * all run yet: a closed volume's sealed SCOs, TLogs and manifest still go to the backend after the
 * close. When the volume is opened again, or deleted, its old queue is superseded first
 * ({@link VolumeUploads#supersede}): its tasks are dropped and the one running, if any, is waited for,
 * so that two instances of one volume never upload or publish side by side (the old one would publish
 * its older manifest over the new one's, or put objects into a namespace being deleted). The reopened
 * instance queues again whatever its state file says is not on the backend yet.
 *
 * <p>Thread-safe. An entry leaves by itself once its queue has drained, so a node with many idle
 * volumes keeps nothing of them here.
 */
final class ClosedVolumeUploads {
    private final Map<String, VolumeUploads> closed = new ConcurrentHashMap<>();

    /** Volume {@code name} was just closed; {@code uploads} is its queue. */
    void closed(String name, VolumeUploads uploads) {
        closed.put(name, uploads);
        uploads.whenDrained(() -> closed.remove(name, uploads));
    }

    /** Drops the queued uploads of closed volume {@code name}, if any, waiting for the one running. */
    void supersede(String name) {
        VolumeUploads prior = closed.remove(name);
        if (prior != null) {
            prior.supersede();
        }
    }

    /** Closed volumes whose uploads are still queued (tests, metrics). */
    int size() {
        return closed.size();
    }
}
