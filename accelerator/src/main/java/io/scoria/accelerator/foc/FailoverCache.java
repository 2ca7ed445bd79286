package io.scoria.accelerator.foc;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * What a volume sees of its fail-over cache (FOC): a copy, on another node, of every write that
 * is not yet on the backend. The engine calls {@link #add} from its write hook for every
 * cluster it appended to a SCO, {@link #awaitAsync} before acknowledging a write,
 * {@link #flush()} on FLUSH/FUA and {@link #removeUpTo} once a sealed SCO (and the TLog naming
 * it) is on the backend.
 *
 * <p><b>SCO tags, not SCO numbers.</b> Entries are keyed by the owner's <em>SCO tag</em>: a number
 * that grows by one whenever the owner starts writing into another SCO and never goes back for
 * a volume, across opens and owners (the FOC wiring derives it; engine SCO numbers may restart
 * after local flash was lost, tags may not). The server orders replay by tag, then by add order,
 * and {@link #removeUpTo} drops whole tags. The FOC never interprets a tag as an engine SCO
 * number; the engine's number is not sent. Implementations ({@code io.scoria.accelerator.foc.client.FailoverCaches})
 * exist per {@link FocMode}.
 *
 * <p>Never blocks forever: when the FOC server is unreachable the cache reports
 * {@link FocState#DEGRADED}, {@link #awaitAsync} completes at once, and writes continue. The
 * implementation keeps a copy of every added entry until {@link #removeUpTo} drops its SCO, and
 * after reconnecting re-sends all of them (in add order) before returning to {@link FocState#OK};
 * the engine therefore has nothing to re-send itself. Its memory is bounded by the bytes not yet
 * on the backend, like the engine's own SCO cache.
 *
 * <p>Errors: {@link FocFencedException} (from any method, or failing a future) means another
 * owner took the volume over; the volume must stop accepting writes.
 *
 * <p>Thread-safety: all methods may be called from many threads. Entries are sent in the order
 * {@link #add} returned their sequence numbers; futures complete in that order.
 */
public interface FailoverCache extends AutoCloseable {

    FocMode mode();

    FocState state();

    /** Calls {@code listener} with every later state change (on an internal thread; keep it short). */
    void addStateListener(Consumer<FocState> listener);

    /**
     * Adds the entry for one cluster and returns its sequence number (increasing, from 1).
     * {@code scoTag} is the tag of the SCO the cluster was appended to (for a zero cluster, which
     * has no SCO, the tag of the SCO being written); {@code offsetInSco} and {@code scoVersion} are
     * the cluster's place in that SCO, kept for the replay. Tags of successive adds never decrease
     * and are above the last {@link #removeUpTo}. Copies
     * {@code cluster} ({@code remaining()} must equal the cluster size); the caller keeps
     * ownership and its position is unchanged. Never waits on the network.
     *
     * @throws FocFencedException when a newer owner holds the volume
     * @throws FocException when closed or the copies held exceed the configured limit
     */
    long add(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster);

    /**
     * A future that completes, on {@code executor}, once the write with sequence number
     * {@code seq} (and every earlier one) may be acknowledged: in {@code sync} mode when the FOC
     * server acknowledged it or the cache is {@link FocState#DEGRADED}; in the other modes at once.
     * Fails with {@link FocFencedException} when fenced.
     */
    CompletableFuture<Void> awaitAsync(long seq, Executor executor);

    /** {@link #add} then {@link #awaitAsync} of that entry. */
    default CompletableFuture<Void> addAsync(long lba, long scoTag, int offsetInSco, int scoVersion,
                                             ByteBuffer cluster, Executor executor) {
        return awaitAsync(add(lba, scoTag, offsetInSco, scoVersion, cluster), executor);
    }

    /**
     * Makes every entry added before this call durable on the FOC server (it fsyncs before
     * replying). Returns without that guarantee, bounded by the request timeout, when the cache is
     * {@link FocState#DEGRADED} (the entries are re-sent on reconnection).
     */
    void flush();

    /**
     * Declares that the entries of every SCO tag up to and including {@code scoTag} are obsolete
     * (their writes are on the backend, or were discarded): they are forgotten here and deleted on
     * the server (at the latest on reconnection). A call that does not raise the watermark is ignored.
     */
    void removeUpTo(long scoTag);

    /**
     * Streams every entry the FOC server holds for the volume to {@code consumer} (used by a new
     * owner after fail-over, before its first write) and returns how many there were.
     *
     * @throws FocUnavailableException when the server cannot be reached
     */
    long replay(FocEntryConsumer consumer);

    /**
     * Moves the cache to the FOC server at {@code address} ({@code HOST:PORT}), re-sending there every
     * entry not yet removed; the new server first drops its entries with tags up to {@code obsoleteUpTo}
     * (left by earlier owners or opens). DEGRADED until the new server acknowledged everything.
     *
     * @throws UnsupportedOperationException for a cache without a server (mode {@code none})
     */
    default void retarget(String address, long obsoleteUpTo) {
        throw new UnsupportedOperationException("a fail-over cache of mode " + mode().configName() + " has no server");
    }

    /**
     * Closes ({@code true}) or opens the acknowledgement gate of a cache whose acknowledgements wait out
     * DEGRADED: while closed no write is acknowledged, even one the server took (the FOC is moving and the
     * move is not recorded yet). No-op for other caches.
     */
    default void gateAcknowledgements(boolean closed) {
    }

    /** True when OK on a connection to the server at {@code address}: it acknowledged every entry kept. */
    default boolean okAt(String address) {
        return state() == FocState.OK && address.equals(server());
    }

    /** The FOC server this cache talks to now ({@code HOST:PORT}), or null without one. */
    default String server() {
        return null;
    }

    /**
     * Deletes every entry the server holds for the volume (after they were replayed into the volume,
     * which mirrors them to its new fail-over cache). Waits for the server's answer.
     */
    default void unregister() {
    }

    /** Releases connections, threads and copies; idempotent. Does not delete the server's entries. */
    @Override
    void close();
}
