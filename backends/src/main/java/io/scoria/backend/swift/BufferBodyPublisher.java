package io.scoria.backend.swift;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes the bytes of a buffer (heap or direct) as a request body without copying them:
 * each subscriber gets read-only slices of its own duplicate, so the publisher can be
 * subscribed again for a retry. The caller keeps ownership of the buffer and must not change
 * its content until the request completes; its position and limit are never touched.
 */
final class BufferBodyPublisher implements HttpRequest.BodyPublisher {
    private static final int CHUNK = 256 * 1024;

    private final ByteBuffer source;

    BufferBodyPublisher(ByteBuffer source) {
        this.source = source.asReadOnlyBuffer();
    }

    @Override
    public long contentLength() {
        return source.remaining();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        Subscription subscription = new Subscription(subscriber, source.duplicate());
        subscriber.onSubscribe(subscription);
        subscription.drain();
    }

    private static final class Subscription implements Flow.Subscription {
        private final Flow.Subscriber<? super ByteBuffer> subscriber;
        private final ByteBuffer remaining;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean cancelled;
        private boolean done;

        Subscription(Flow.Subscriber<? super ByteBuffer> subscriber, ByteBuffer remaining) {
            this.subscriber = subscriber;
            this.remaining = remaining;
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                cancelled = true;
                subscriber.onError(new IllegalArgumentException("demand must be positive: " + n));
                return;
            }
            demand.getAndUpdate(d -> d + n < 0 ? Long.MAX_VALUE : d + n);
            drain();
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        /** Emits while there is demand; re-entrant calls only note that more work arrived. */
        void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            do {
                while (!cancelled && !done) {
                    if (!remaining.hasRemaining()) {
                        done = true;
                        subscriber.onComplete();
                        break;
                    }
                    if (demand.get() == 0) {
                        break;
                    }
                    int n = Math.min(CHUNK, remaining.remaining());
                    ByteBuffer chunk = remaining.slice(remaining.position(), n);
                    remaining.position(remaining.position() + n);
                    demand.decrementAndGet();
                    subscriber.onNext(chunk);
                }
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }
    }
}
