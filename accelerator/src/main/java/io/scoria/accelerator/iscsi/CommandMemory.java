package io.scoria.accelerator.iscsi;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of SCSI command data all connections of one {@link IscsiServer} may hold at once
 * ({@link IscsiLimits#memoryBudget()}). A connection whose command cannot take its bytes stops
 * reading and leaves a wake-up here, run on the releasing thread after the next release (so a
 * wake-up only schedules work). Thread-safe, lock-free.
 */
final class CommandMemory {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    CommandMemory(long limit) {
        this.limit = limit;
    }

    boolean tryTake(long bytes) {
        long now;
        do {
            now = used.get();
            if (now + bytes > limit) {
                return false;
            }
        } while (!used.compareAndSet(now, now + bytes));
        return true;
    }

    void giveBack(long bytes) {
        used.addAndGet(-bytes);
        for (Runnable r; (r = waiting.poll()) != null; ) {
            r.run();
        }
    }

    /** Runs {@code wakeUp} after the next {@link #giveBack}, or now if {@code bytes} fit already. */
    void onRelease(long bytes, Runnable wakeUp) {
        waiting.add(wakeUp);
        if (used.get() + bytes <= limit && waiting.remove(wakeUp)) {
            wakeUp.run();
        }
    }

    long used() {
        return used.get();
    }
}
