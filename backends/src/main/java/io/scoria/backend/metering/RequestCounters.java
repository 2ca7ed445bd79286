package io.scoria.backend.metering;

import java.util.concurrent.atomic.LongAdder;

/**
 * The live counters of one (store, namespace) pair. Thread-safe and allocation-free to update;
 * {@link #snapshot()} reads them without a lock, so a snapshot taken during traffic may count a
 * request whose bytes are not in it yet.
 */
public final class RequestCounters {
    private final LongAdder[] requests = new LongAdder[RequestKind.values().length];
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();

    RequestCounters() {
        for (int i = 0; i < requests.length; i++) {
            requests[i] = new LongAdder();
        }
    }

    void request(RequestKind kind) {
        requests[kind.ordinal()].increment();
    }

    void bytesIn(long n) {
        bytesIn.add(n);
    }

    void bytesOut(long n) {
        bytesOut.add(n);
    }

    /** The live count of {@code kind} (for metrics read at scrape time). */
    public long count(RequestKind kind) {
        return requests[kind.ordinal()].sum();
    }

    public long bytesIn() {
        return bytesIn.sum();
    }

    public long bytesOut() {
        return bytesOut.sum();
    }

    public RequestCounts snapshot() {
        return new RequestCounts(count(RequestKind.PUT), count(RequestKind.GET), count(RequestKind.RANGED_GET),
                count(RequestKind.HEAD), count(RequestKind.LIST), count(RequestKind.DELETE), bytesIn(), bytesOut());
    }
}
