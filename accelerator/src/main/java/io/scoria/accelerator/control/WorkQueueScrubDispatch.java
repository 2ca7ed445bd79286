package io.scoria.accelerator.control;

import io.scoria.backend.BackendException;
import io.scoria.sco.scrub.ScrubWorkItem;
import io.scoria.sco.scrub.ScrubWorkQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code scrub.auto.runOn: workers}: a volume that needs a scrub gets a work item on the backend
 * ({@link ScrubWorkQueue}) instead of a job on this router; {@code scoria-scrub --worker}
 * processes anywhere take it by the volume's scrub lease, scrub, and write the result, which the
 * router applies as it applies every result it finds ({@code scrub.poll}). A volume is busy while
 * its item is pending or being scrubbed and while a result waits to be applied, so no second item
 * is published for it. A rejected item (malformed, or its scrub failed too often) is logged with
 * its reason before the next one of the volume is published. Thread-safe (stateless apart from
 * the backend).
 */
public final class WorkQueueScrubDispatch implements ScrubDispatch {
    private static final Logger LOG = LoggerFactory.getLogger(WorkQueueScrubDispatch.class);

    private final Function<String, Optional<String>> namespaceOf;
    private final ScrubWorkQueue queue;
    private final double liveThreshold;
    private final String publisher;

    /**
     * @param namespaceOf   a volume's namespace, or empty if there is no such volume (thread-safe)
     * @param queue         the queue on the router's backend
     * @param liveThreshold what the workers' scrubs rewrite ({@code scrub.auto.liveThreshold})
     */
    public WorkQueueScrubDispatch(Function<String, Optional<String>> namespaceOf, ScrubWorkQueue queue,
                                  double liveThreshold) {
        this.namespaceOf = Objects.requireNonNull(namespaceOf, "namespaceOf");
        this.queue = Objects.requireNonNull(queue, "queue");
        if (!(liveThreshold > 0 && liveThreshold <= 1)) {
            throw new IllegalArgumentException("liveThreshold must be in (0, 1]: " + liveThreshold);
        }
        this.liveThreshold = liveThreshold;
        this.publisher = hostName();
    }

    @Override
    public boolean busy(String volume) {
        Optional<String> ns = namespace(volume);
        if (ns.isEmpty()) {
            return false;
        }
        try {
            return queue.pending(ns.get()) || queue.resultWaiting(ns.get());
        } catch (BackendException e) {
            LOG.warn("volume {}: cannot look at its scrub work on the backend, trying again at the next tick: {}",
                    volume, e.getMessage());
            return true;
        }
    }

    @Override
    public String dispatch(String volume, AutoScrub.Garbage garbage) {
        Optional<String> found = namespace(volume);
        if (found.isEmpty()) {
            return "nothing published: the volume was deleted meanwhile";
        }
        String ns = found.get();
        queue.takeRejection(ns).ifPresent(r -> LOG.warn("volume {}: its last scrub work item was rejected by a worker"
                + " at {}: {}", volume, Instant.ofEpochMilli(r.rejectedMillis()), r.reason()));
        boolean published = queue.publish(ScrubWorkItem.of(ns, volume, liveThreshold, Math.min(1, garbage.ratio()),
                publisher));
        return published ? "work item " + ScrubWorkQueue.NAMESPACE + "/" + ScrubWorkQueue.ITEM_PREFIX + ns
                + " for scoria-scrub workers" : "its work item was already pending";
    }

    private Optional<String> namespace(String volume) {
        return namespaceOf.apply(volume);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown-host";
        }
    }
}
