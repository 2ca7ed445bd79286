package io.scoria.accelerator.foc.client;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.FocUnavailableException;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * {@link FailoverCache} in {@code sync} or {@code async} mode over a {@link FocClient} it owns.
 * By default an unreachable server never fails a write: {@link #awaitAsync} and {@link #flush()}
 * return normally and {@link #state()} says {@link FocState#DEGRADED}; the client re-sends the kept
 * entries on reconnection. With {@code holdWhileDegraded} (a cluster node) acknowledgements and
 * flushes wait instead until the cache is OK again ({@link HeldAcks}): no write is acknowledged that
 * only the owner holds. Fencing is reported. Thread-safe.
 */
final class ClientFailoverCache implements FailoverCache {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final FocClient client;
    private final FocMode mode;
    /** Non-null when acknowledgements wait out DEGRADED. */
    private final HeldAcks held;
    private final java.time.Duration flushHold;

    /**
     * @param flushHold with {@code holdWhileDegraded}, how long {@link #flush()} waits for a DEGRADED cache to
     *                  be OK again before it fails
     */
    ClientFailoverCache(FocClient client, FocMode mode, boolean holdWhileDegraded, java.time.Duration flushHold) {
        if (mode == FocMode.NONE) {
            throw new IllegalArgumentException("mode: NONE has no client");
        }
        this.client = client;
        this.mode = mode;
        this.held = holdWhileDegraded ? new HeldAcks(client) : null;
        this.flushHold = flushHold;
    }

    @Override
    public FocMode mode() {
        return mode;
    }

    @Override
    public FocState state() {
        return client.state();
    }

    @Override
    public void addStateListener(Consumer<FocState> listener) {
        client.addStateListener(listener);
    }

    @Override
    public long add(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster) {
        return client.append(lba, scoTag, offsetInSco, scoVersion, cluster);
    }

    @Override
    public CompletableFuture<Void> awaitAsync(long seq, Executor executor) {
        if (mode == FocMode.ASYNC) {
            return DONE;
        }
        if (held != null) {
            return held.await(seq, executor);
        }
        CompletableFuture<Void> acked = client.ackedAsync(seq, executor);
        if (acked.isDone() && !acked.isCompletedExceptionally()) {
            return acked;
        }
        CompletableFuture<Void> out = new CompletableFuture<>();
        acked.whenComplete((v, e) -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (cause == null || cause instanceof FocUnavailableException) {
                out.complete(null);
            } else {
                out.completeExceptionally(cause);
            }
        });
        return out;
    }

    @Override
    public void flush() {
        long deadline = System.nanoTime() + (flushHold == null ? 0 : flushHold.toNanos());
        while (true) {
            try {
                client.flush();
                return;
            } catch (FocUnavailableException e) {
                if (held == null) {
                    return; // DEGRADED: the entries stay kept and are re-sent on reconnection; state() reports it
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new FocUnavailableException("FLUSH not acknowledged: the fail-over cache " + client.server()
                            + " was not reachable for " + flushHold + " (" + e.getMessage() + ")");
                }
                awaitNotDegraded(deadline);
            }
        }
    }

    /** Waits (polling the state, 50 ms apart) until the cache is not DEGRADED or {@code deadline} passed. */
    private void awaitNotDegraded(long deadline) {
        while (client.state() == FocState.DEGRADED && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new FocUnavailableException("interrupted while waiting for the fail-over cache " + client.server());
            }
        }
    }

    @Override
    public void retarget(String address, long obsoleteUpTo) {
        if (held == null) {
            throw new UnsupportedOperationException("moving a fail-over cache needs acknowledgements that wait out "
                    + "DEGRADED (a cluster node)");
        }
        client.retarget(address, obsoleteUpTo);
    }

    @Override
    public void gateAcknowledgements(boolean closed) {
        if (held != null) {
            held.gate(closed);
        }
    }

    @Override
    public String server() {
        return client.server();
    }

    @Override
    public boolean okAt(String address) {
        return client.okAt(address);
    }

    @Override
    public void unregister() {
        client.unregister();
    }

    @Override
    public void removeUpTo(long scoTag) {
        client.removeUpTo(scoTag);
    }

    @Override
    public long replay(FocEntryConsumer consumer) {
        return client.replay(consumer);
    }

    @Override
    public void close() {
        client.close();
    }
}
