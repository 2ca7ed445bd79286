package io.scoria.accelerator.foc.client;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongPredicate;

/**
 * Futures waiting for the server's acknowledgement of a sequence number, completed in sequence
 * order on the executor each caller named. Not thread-safe: guarded by the client's lock; the
 * futures are completed outside it ({@link #complete}).
 */
final class AckWaiters {
    record Waiter(long seq, CompletableFuture<Void> future, Executor executor, long since)
            implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            return Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Waiter> queue = new PriorityQueue<>();

    CompletableFuture<Void> add(long seq, Executor executor) {
        Waiter w = new Waiter(seq, new CompletableFuture<>(), executor, System.nanoTime());
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

    /** System.nanoTime() at which the waiter for the lowest sequence number was added; {@code now} if none. */
    long oldestSince(long now) {
        Waiter w = queue.peek();
        return w == null ? now : w.since;
    }

    /** Removes and returns the waiters whose sequence number matches {@code gone}; null if none. */
    List<Waiter> pollIf(LongPredicate gone) {
        List<Waiter> done = null;
        for (Iterator<Waiter> it = queue.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (gone.test(w.seq)) {
                if (done == null) {
                    done = new ArrayList<>();
                }
                done.add(w);
                it.remove();
            }
        }
        if (done != null) {
            done.sort(null);
        }
        return done;
    }

    /** Removes and returns all waiters. */
    List<Waiter> drain() {
        List<Waiter> all = new ArrayList<>(queue);
        queue.clear();
        return all;
    }

    /**
     * Completes {@code waiters} (normally if {@code error} is null) in order, each on its executor:
     * consecutive waiters of one executor are completed by one task (one hand-off per batch, not per
     * write). If an executor refuses, they are completed on the calling thread.
     */
    static void complete(List<Waiter> waiters, Throwable error) {
        if (waiters == null) {
            return;
        }
        int from = 0;
        while (from < waiters.size()) {
            Executor ex = waiters.get(from).executor;
            int to = from + 1;
            while (to < waiters.size() && waiters.get(to).executor == ex) {
                to++;
            }
            List<Waiter> run = waiters.subList(from, to);
            Runnable r = () -> {
                for (Waiter w : run) {
                    if (error == null) {
                        w.future.complete(null);
                    } else {
                        w.future.completeExceptionally(error);
                    }
                }
            };
            try {
                ex.execute(r);
            } catch (RuntimeException rejected) {
                r.run();
            }
            from = to;
        }
    }
}
