package io.scoria.accelerator.cluster;

import io.scoria.accelerator.StaleEpochException;
import io.scoria.accelerator.VolumeFencedException;

import java.util.concurrent.CompletableFuture;

/**
 * This node's ownership of one volume: granted under {@link #epoch()}, when the volume's
 * {@code epoch} znode reached version {@link #epochVersion()} (a later grant to anyone changes that
 * version, which is what a publish checks). The state goes LIVE → SUSPENDED (ZooKeeper out of reach:
 * nothing is acknowledged) → LIVE again if the session survived, or LOST for good. An acknowledgement
 * held while SUSPENDED waits on {@link #whenLive()}. Thread-safe: the state is a volatile field read on
 * every write acknowledgement; transitions and the future they complete are swapped under the monitor.
 */
public final class Lease {
    /** Where a lease stands. */
    public enum State { LIVE, SUSPENDED, LOST }

    private final String volume;
    private final long epoch;
    private final int epochVersion;
    private final String previousOwner;
    private volatile State state = State.LIVE;
    private CompletableFuture<Void> live = CompletableFuture.completedFuture(null);

    Lease(String volume, long epoch, int epochVersion, String previousOwner) {
        this.volume = volume;
        this.epoch = epoch;
        this.epochVersion = epochVersion;
        this.previousOwner = previousOwner;
    }

    public String volume() {
        return volume;
    }

    public long epoch() {
        return epoch;
    }

    int epochVersion() {
        return epochVersion;
    }

    /** The node that held the epoch before this one, or null if this is the volume's first. */
    public String previousOwner() {
        return previousOwner;
    }

    public State state() {
        return state;
    }

    synchronized void suspend() {
        if (state == State.LIVE) {
            live = new CompletableFuture<>();
            state = State.SUSPENDED;
        }
    }

    synchronized void resume() {
        if (state == State.SUSPENDED) {
            state = State.LIVE;
            live.complete(null);
        }
    }

    synchronized void lose() {
        if (state != State.LOST) {
            state = State.LOST;
            live.completeExceptionally(lostException());
        }
    }

    /**
     * Completes when the lease is LIVE (at once if it is), or fails with a {@link VolumeFencedException}
     * when it is LOST. The caller bounds its wait; completion runs on the thread that resumes or loses
     * the lease (the cluster's event thread, or Curator's), so dependants must be quick.
     */
    synchronized CompletableFuture<Void> whenLive() {
        return state == State.LIVE ? CompletableFuture.completedFuture(null) : live;
    }

    /** Returns normally while LIVE. */
    public void checkLive() {
        State s = state;
        if (s == State.LIVE) {
            return;
        }
        if (s == State.SUSPENDED) {
            throw new VolumeFencedException("volume '" + volume + "': this node cannot reach ZooKeeper, so its lease "
                    + "(epoch " + epoch + ") may be about to pass to another node; nothing is acknowledged until it is back");
        }
        throw lostException();
    }

    private VolumeFencedException lostException() {
        return new VolumeFencedException("volume '" + volume + "': this node lost its lease (epoch " + epoch
                + "); another node may own the volume now");
    }

    /** Returns normally while LIVE under {@code e}. */
    void checkLive(long e) {
        if (e != epoch) {
            throw new StaleEpochException(volume, e, epoch);
        }
        checkLive();
    }

    @Override
    public String toString() {
        return "lease " + volume + "@" + epoch + " " + state;
    }
}
