package io.scoria.backend.swift;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Copies a response body straight into a caller's buffer (heap or direct) with no
 * intermediate array. Completes with the number of bytes written, or fails if the body holds
 * more bytes than the buffer has room for; the buffer's position is only advanced by what was
 * written, so the caller decides whether to keep it.
 */
final class BufferBodySubscriber implements HttpResponse.BodySubscriber<Integer> {
    private final ByteBuffer dst;
    private final int start;
    private final CompletableFuture<Integer> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    /** Writes into {@code dst} from its position; {@code dst} must stay untouched until done. */
    BufferBodySubscriber(ByteBuffer dst) {
        this.dst = dst;
        this.start = dst.position();
    }

    @Override
    public CompletionStage<Integer> getBody() {
        return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        this.subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer item : items) {
            if (item.remaining() > dst.remaining()) {
                subscription.cancel();
                result.completeExceptionally(new java.io.IOException("response body is longer than the "
                        + (dst.limit() - start) + " bytes expected"));
                return;
            }
            dst.put(item);
        }
    }

    @Override
    public void onError(Throwable throwable) {
        result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
        result.complete(dst.position() - start);
    }
}
