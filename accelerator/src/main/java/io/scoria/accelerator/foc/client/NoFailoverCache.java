package io.scoria.accelerator.foc.client;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocState;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** {@link FailoverCache} of mode {@code none}: keeps nothing, always {@link FocState#OK}. Thread-safe. */
final class NoFailoverCache implements FailoverCache {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private final AtomicLong seq = new AtomicLong();

    @Override
    public FocMode mode() {
        return FocMode.NONE;
    }

    @Override
    public FocState state() {
        return FocState.OK;
    }

    @Override
    public void addStateListener(Consumer<FocState> listener) {
        // the state never changes
    }

    @Override
    public long add(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster) {
        return seq.incrementAndGet();
    }

    @Override
    public CompletableFuture<Void> awaitAsync(long s, Executor executor) {
        return DONE;
    }

    @Override
    public void flush() {
        // nothing is kept
    }

    @Override
    public void removeUpTo(long scoTag) {
        // nothing is kept
    }

    @Override
    public long replay(FocEntryConsumer consumer) {
        return 0;
    }

    @Override
    public void close() {
        // owns nothing
    }
}
