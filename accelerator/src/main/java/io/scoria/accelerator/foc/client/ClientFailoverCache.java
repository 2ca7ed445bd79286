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
 * An unreachable server never fails a write: {@link #awaitAsync} and {@link #flush()} return
 * normally and {@link #state()} says {@link FocState#DEGRADED}; the client re-sends the kept
 * entries on reconnection. Fencing is reported. Thread-safe.
 */
final class ClientFailoverCache implements FailoverCache {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final FocClient client;
    private final FocMode mode;

    ClientFailoverCache(FocClient client, FocMode mode) {
        if (mode == FocMode.NONE) {
            throw new IllegalArgumentException("mode: NONE has no client");
        }
        this.client = client;
        this.mode = mode;
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
        try {
            client.flush();
        } catch (FocUnavailableException e) {
            // DEGRADED: the entries stay kept and are re-sent on reconnection; state() reports it.
        }
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
