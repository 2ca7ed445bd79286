package io.scoria.accelerator.foc.sealed;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocEntryConsumer;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocState;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The fail-over cache of an encrypted volume: a {@link FailoverCache} whose client was configured for
 * {@link io.scoria.accelerator.foc.FocEntryFormat#SEALED} entries, behind which this class seals every
 * cluster ({@link FocEntrySeal}) before it is handed to the client, so neither the wire nor the FOC
 * server (which holds no key) ever sees a cluster in clear, and opens every entry of a
 * {@link #replay} before the consumer sees it.
 *
 * <p>A replay opens each entry as it arrives; the first one that does not open stops it, with the
 * {@link io.scoria.backend.transform.WrongKeyException} or
 * {@link io.scoria.accelerator.foc.FocEntryTamperedException} of {@link FocEntrySeal#open} (and not the
 * client's wrapping of it). Consumers that apply entries only after the replay returned (as
 * {@code ReplaySpool} does) therefore never apply any entry of a replay that met a bad one.
 *
 * <p>Thread-safety as {@link FailoverCache}; owns the delegate (closed with it). Buffers: the
 * cluster given to the consumer is valid only during its call, as the contract says.
 */
public final class SealedFailoverCache implements FailoverCache {
    private final FailoverCache delegate;
    private final FocEntrySeal seal;

    /** @param delegate a cache whose entries carry {@code seal.payloadBytes()} bytes (now owned here) */
    public SealedFailoverCache(FailoverCache delegate, FocEntrySeal seal) {
        this.delegate = delegate;
        this.seal = seal;
    }

    @Override
    public FocMode mode() {
        return delegate.mode();
    }

    @Override
    public FocState state() {
        return delegate.state();
    }

    @Override
    public void addStateListener(Consumer<FocState> listener) {
        delegate.addStateListener(listener);
    }

    /** Seals {@code cluster} (whose position is unchanged) and adds the sealed payload; see {@link FailoverCache#add}. */
    @Override
    public long add(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster) {
        return delegate.add(lba, scoTag, offsetInSco, scoVersion, seal.seal(lba, scoTag, offsetInSco, scoVersion, cluster));
    }

    @Override
    public CompletableFuture<Void> awaitAsync(long seq, Executor executor) {
        return delegate.awaitAsync(seq, executor);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public void removeUpTo(long scoTag) {
        delegate.removeUpTo(scoTag);
    }

    @Override
    public long replay(FocEntryConsumer consumer) {
        ByteBuffer clear = ByteBuffer.allocateDirect(seal.clusterSize());
        long[] index = {0};
        RuntimeException[] refused = {null};
        try {
            return delegate.replay((lba, scoTag, offsetInSco, scoVersion, payload) -> {
                clear.clear();
                try {
                    seal.open(lba, scoTag, offsetInSco, scoVersion, payload, clear, index[0]++);
                } catch (RuntimeException e) {
                    refused[0] = e;
                    throw e;
                }
                consumer.accept(lba, scoTag, offsetInSco, scoVersion, clear.flip());
            });
        } catch (RuntimeException e) {
            if (refused[0] != null && refused[0] != e) {
                refused[0].addSuppressed(e);
                throw refused[0];
            }
            throw e;
        }
    }

    @Override
    public void retarget(String address, long obsoleteUpTo) {
        delegate.retarget(address, obsoleteUpTo);
    }

    @Override
    public void gateAcknowledgements(boolean closed) {
        delegate.gateAcknowledgements(closed);
    }

    @Override
    public boolean okAt(String address) {
        return delegate.okAt(address);
    }

    @Override
    public String server() {
        return delegate.server();
    }

    @Override
    public void unregister() {
        delegate.unregister();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
