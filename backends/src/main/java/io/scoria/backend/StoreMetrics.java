package io.scoria.backend;

import java.util.concurrent.atomic.LongAdder;

/** Operation, byte and error counters of one store; thread-safe, allocation-free to update. */
public final class StoreMetrics {
    private final LongAdder puts = new LongAdder();
    private final LongAdder gets = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder lists = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder errors = new LongAdder();

    void put(long bytes) {
        puts.increment();
        bytesWritten.add(bytes);
    }

    void get(long bytes) {
        gets.increment();
        bytesRead.add(bytes);
    }

    void delete() {
        deletes.increment();
    }

    void list() {
        lists.increment();
    }

    void error() {
        errors.increment();
    }

    public long puts() {
        return puts.sum();
    }

    public long gets() {
        return gets.sum();
    }

    public long deletes() {
        return deletes.sum();
    }

    public long lists() {
        return lists.sum();
    }

    public long bytesWritten() {
        return bytesWritten.sum();
    }

    public long bytesRead() {
        return bytesRead.sum();
    }

    public long errors() {
        return errors.sum();
    }
}
