package io.scoria.accelerator.foc.client;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Futures waiting for the server's acknowledgement of a sequence number, completed in sequence
 * order on the executor each caller named. Not thread-safe: guarded by the client's lock; the
 * futures are completed outside it ({@link #complete}).
 */
final class AckWaiters {
    record Waiter(long seq, CompletableFuture<Void> future, Executor executor) implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            return Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Waiter> queue = new PriorityQueue<>();

    CompletableFuture<Void> add(long seq, Executor executor) {
        Waiter w = new Waiter(seq, new CompletableFuture<>(), executor);
        queue.add(w);
        return w.future;
    }

    /** Removes and returns the waiters for sequence numbers up to {@code seq}; null if none. */
    List<Waiter> pollUpTo(long seq) {
        List<Waiter> done = null;
        while (!queue.isEmpty() && queue.peek().seq <= seq) {
            if (done == null) {
                done = new ArrayList<>();
            }
            done.add(queue.poll());
        }
        return done;
    }

    /** Removes and returns all waiters. */
    List<Waiter> drain() {
        List<Waiter> all = new ArrayList<>(queue);
        queue.clear();
        return all;
    }

    /** Completes {@code waiters} (normally if {@code error} is null), each on its executor. */
    static void complete(List<Waiter> waiters, Throwable error) {
        if (waiters == null) {
            return;
        }
        for (Waiter w : waiters) {
            Runnable r = () -> {
                if (error == null) {
                    w.future.complete(null);
                } else {
                    w.future.completeExceptionally(error);
                }
            };
            try {
                w.executor.execute(r);
            } catch (RuntimeException rejected) {
                r.run();
            }
        }
    }
}
