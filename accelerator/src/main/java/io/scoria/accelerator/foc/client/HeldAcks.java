package io.scoria.accelerator.foc.client;

import io.scoria.accelerator.foc.FocState;
import io.scoria.accelerator.foc.FocUnavailableException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Acknowledgements that wait out a DEGRADED fail-over cache instead of giving up on it: a write
 * whose FOC connection is down is held until the client is OK again (connected, and every kept
 * entry, re-sent after the reconnection or to a new server, acknowledged: so this write's entry
 * is on the FOC, or on the backend) and only then completes; it fails when the client is fenced or
 * closed. This is what a cluster node needs: a write that only the owner holds must not be
 * acknowledged, since a fail-over would lose it.
 *
 * <p>Threads: any; completions run on the executor each caller gave. Locks: this object's monitor
 * guards the held list and is never held while a future completes or the client is called.
 */
final class HeldAcks {
    private record Held(long seq, Executor executor, CompletableFuture<Void> out) {
    }

    private final FocClient client;
    private final List<Held> held = new ArrayList<>();
    /** While set, nothing completes (a move of the FOC to another server is not recorded yet). */
    private volatile boolean gated;

    HeldAcks(FocClient client) {
        this.client = client;
        client.addStateListener(s -> {
            if (s != FocState.DEGRADED && !gated) {
                retryAll();
            }
        });
    }

    /** Completes once entry {@code seq} is acknowledged (waiting out DEGRADED), or fails when fenced or closed. */
    CompletableFuture<Void> await(long seq, Executor executor) {
        CompletableFuture<Void> out = new CompletableFuture<>();
        attempt(new Held(seq, executor, out));
        return out;
    }

    /**
     * Closes or opens the gate: while closed no acknowledgement completes, even one the server gave (the
     * FOC moves to another server, and until the move is recorded a fail-over would replay the old one).
     */
    void gate(boolean closed) {
        gated = closed;
        if (!closed && client.state() != FocState.DEGRADED) {
            retryAll();
        }
    }

    /** How many acknowledgements wait for the FOC to be OK again. */
    synchronized int heldCount() {
        return held.size();
    }

    private void attempt(Held h) {
        if (gated) {
            hold(h);
            return;
        }
        CompletableFuture<Void> acked;
        try {
            acked = client.ackedAsync(h.seq, h.executor);
        } catch (RuntimeException e) {
            h.out.completeExceptionally(e);
            return;
        }
        acked.whenComplete((v, e) -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (c == null && !gated) {
                h.out.complete(null);
            } else if (c == null || c instanceof FocUnavailableException) {
                hold(h);
            } else {
                h.out.completeExceptionally(c);
            }
        });
    }

    private void hold(Held h) {
        synchronized (this) {
            held.add(h);
        }
        // the state may have left DEGRADED before the entry was added here: then no listener call comes for it
        if (!gated && client.state() != FocState.DEGRADED) {
            retryAll();
        }
    }

    private void retryAll() {
        List<Held> again;
        synchronized (this) {
            if (held.isEmpty()) {
                return;
            }
            again = List.copyOf(held);
            held.clear();
        }
        again.forEach(this::attempt);
    }
}
