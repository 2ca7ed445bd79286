package io.scoria.accelerator.foc.client;

import io.netty.buffer.ByteBuf;
import io.scoria.accelerator.foc.FocEntryConsumer;

import java.util.concurrent.CompletableFuture;

/** A request sent (or queued to be sent) on one connection, waiting for its reply. */
final class Pending {
    final byte opcode;
    final long requestId;
    final Batch batch;
    final long argument;
    final FocEntryConsumer consumer;
    final CompletableFuture<Long> future = new CompletableFuture<>();
    /** System.nanoTime() after which the connection is considered broken; 0 until sent. */
    volatile long deadline;
    long received;
    /** ADD_ENTRIES: a reference to the batch's entries and their count, taken under the client's lock for the I/O thread. */
    ByteBuf body;
    int count;

    Pending(byte opcode, long requestId, Batch batch, long argument, FocEntryConsumer consumer) {
        this.opcode = opcode;
        this.requestId = requestId;
        this.batch = batch;
        this.argument = argument;
        this.consumer = consumer;
    }
}
