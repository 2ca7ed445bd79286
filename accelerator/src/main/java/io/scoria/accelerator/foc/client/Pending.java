package io.scoria.accelerator.foc.client;

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

    Pending(byte opcode, long requestId, Batch batch, long argument, FocEntryConsumer consumer) {
        this.opcode = opcode;
        this.requestId = requestId;
        this.batch = batch;
        this.argument = argument;
        this.consumer = consumer;
    }
}
