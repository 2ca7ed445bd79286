package io.scoria.accelerator.foc.client;

import io.netty.buffer.ByteBuf;

/**
 * Entries of one SCO tag added consecutively, in wire layout, kept until their SCO is removed so that
 * they can be re-sent after a reconnection. Guarded by the client's lock.
 */
final class Batch {
    final long scoTag;
    final ByteBuf entries;
    long firstSeq;
    long lastSeq;
    int count;
    /** Sealed: no more entries; queued to be sent. */
    boolean sealed;
    /** Part of the set re-sent after the last reconnection and not yet acknowledged on it. */
    boolean inResend;
    /** The connection it was last sent on, or null. */
    Object sentOn;
    boolean released;

    Batch(long scoTag, ByteBuf entries) {
        this.scoTag = scoTag;
        this.entries = entries;
    }

    void release() {
        if (!released) {
            released = true;
            entries.release();
        }
    }
}
