package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocState;
import io.scoria.sco.ClusterLocation;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class VolumeBindingTest {
    private static final int CS = 4096;
    private static final long EPOCH = VolumeBinding.TAG_EPOCH_BASE_MS + 1_000;

    /** Records adds and removals; a removal can be made to block until released (a slow FOC server). */
    private static final class SlowRemovals implements FailoverCache {
        final List<Long> addTags = new CopyOnWriteArrayList<>();
        final List<Long> removals = new CopyOnWriteArrayList<>();
        final CountDownLatch removalEntered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public FocMode mode() {
            return FocMode.SYNC;
        }

        @Override
        public FocState state() {
            return FocState.OK;
        }

        @Override
        public void addStateListener(Consumer<FocState> listener) {
        }

        @Override
        public long add(long lba, long scoNumber, int offsetInSco, int scoVersion, ByteBuffer cluster) {
            addTags.add(scoNumber);
            return addTags.size();
        }

        @Override
        public CompletableFuture<Void> awaitAsync(long seq, Executor executor) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void flush() {
        }

        @Override
        public void removeUpTo(long scoNumber) {
            removals.add(scoNumber);
            removalEntered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public long replay(FocEntryConsumer consumer) {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aWriteIntoANewScoDoesNotWaitForARemovalInFlight() throws Exception {
        SlowRemovals cache = new SlowRemovals();
        VolumeBinding b = new VolumeBinding("v", cache, CS, EPOCH);
        ByteBuffer cluster = ByteBuffer.allocate(CS);
        b.onWrite(0, ClusterLocation.of(1, 0, 0, 0), cluster);
        b.onWrite(1, ClusterLocation.of(2, 0, 0, 0), cluster);
        ExecutorService uploader = Executors.newSingleThreadExecutor();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<?> removal = uploader.submit(() -> b.onScoOnBackend(2)); // blocks in the cache
            assertTrue(cache.removalEntered.await(10, TimeUnit.SECONDS), "removal never reached the cache");
            // the engine moves to SCO 3 under its write lock: this must not wait for the removal's reply
            Future<?> write = writer.submit(() -> b.onWrite(2, ClusterLocation.of(3, 0, 0, 0), cluster));
            try {
                write.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                fail("a write into a new SCO waited for a REMOVE_UP_TO reply from the FOC");
            }
            cache.release.countDown();
            removal.get(10, TimeUnit.SECONDS);
        } finally {
            cache.release.countDown();
            uploader.shutdownNow();
            writer.shutdownNow();
        }
        long t1 = cache.addTags.get(0);
        assertEquals(List.of(t1 + 1, t1 + 2), cache.addTags.subList(1, 3), "one tag per SCO, in write order");
        assertEquals(List.of(t1), cache.removals, "SCO 2 on the backend removes every entry tagged before it");
    }

    @Test
    void removalsOnlyAdvance() {
        SlowRemovals cache = new SlowRemovals();
        cache.release.countDown();
        VolumeBinding b = new VolumeBinding("v", cache, CS, EPOCH);
        ByteBuffer cluster = ByteBuffer.allocate(CS);
        for (int sco = 1; sco <= 4; sco++) {
            b.onWrite(sco, ClusterLocation.of(sco, 0, 0, 0), cluster);
        }
        long t1 = cache.addTags.get(0);
        b.onScoOnBackend(3);
        b.onScoOnBackend(2); // already passed: nothing to send
        b.onScoOnBackend(4);
        assertEquals(List.of(t1 + 1, t1 + 2), cache.removals);
    }
}
