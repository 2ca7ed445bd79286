package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.DeferredAcks;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Writes whose acknowledgement comes later ({@link Volume#writeAsync}, e.g. a fail-over cache in
 * sync mode): the reply waits for the acknowledgement, no worker waits with it, and a failed
 * acknowledgement is an EIO reply.
 */
class NbdAsyncWriteTest {
    static final long SIZE = 16L << 20;
    InMemoryVolumeService engine;
    NbdServer server;
    /** One entry per write that reached the volume: its pending acknowledgement. */
    final DeferredAcks deferred = new DeferredAcks();
    final LinkedBlockingQueue<CompletableFuture<Void>> acks = deferred.acks;

    @BeforeEach
    void start() {
        engine = new InMemoryVolumeService();
        engine.create("vm1", VolumeSpec.ofSize(SIZE));
        VolumeService deferring = deferred.wrap(engine);
        NbdServerConfig l = NbdServerConfig.loopback(0);
        // a single worker: if it waited for an acknowledgement, nothing else would run
        server = new NbdServer(new NbdServerConfig(l.host(), 0, 1, 64, l.maxPayload(), null, null, ExportPolicy.OPEN,
                Map.of(), NbdServerConfig.DEFAULT_NEGOTIATION_TIMEOUT), deferring, new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        deferred.completeAll();
        server.close();
        engine.close();
    }

    @Test
    void repliesWaitForTheAcknowledgementWithoutHoldingAWorker() throws Exception {
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            assertEquals(REP_ACK, c.go("vm1"));
            byte[] a = NbdServerTest.pattern(4096, 1);
            byte[] b = NbdServerTest.pattern(8192, 2);
            c.send(CMD_WRITE, 0, 1, 0, a.length, a);
            c.send(CMD_WRITE, 0, 2, 1 << 20, b.length, b);
            CompletableFuture<Void> ackA = acks.poll(10, TimeUnit.SECONDS);
            CompletableFuture<Void> ackB = acks.poll(10, TimeUnit.SECONDS);
            assertNotNull(ackA);
            assertNotNull(ackB);
            // both writes are applied and unacknowledged; the only worker is free for a read
            c.send(CMD_READ, 0, 3, 0, a.length, null);
            NbdTestClient.Reply read = c.receive();
            assertEquals(3, read.cookie(), "no write reply before its acknowledgement");
            assertArrayEquals(a, read.data());

            ackB.complete(null);
            NbdTestClient.Reply rb = c.receive();
            assertEquals(2, rb.cookie());
            assertEquals(0, rb.error());

            ackA.completeExceptionally(new VolumeException("acknowledgement failed"));
            NbdTestClient.Reply ra = c.receive();
            assertEquals(1, ra.cookie());
            assertEquals(EIO, ra.error());

            // FLUSH and later requests still work on the connection
            assertEquals(0, c.command(CMD_FLUSH, 0, 0, 0));
        }
    }

    @Test
    void disconnectWaitsForPendingAcknowledgements() throws Exception {
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
            assertEquals(REP_ACK, c.go("vm1"));
            byte[] a = NbdServerTest.pattern(4096, 3);
            c.send(CMD_WRITE, 0, 7, 4096, a.length, a);
            CompletableFuture<Void> ack = acks.poll(10, TimeUnit.SECONDS);
            assertNotNull(ack);
            c.send(CMD_DISC, 0, 8, 0, 0, null);
            c.setTimeout(300);
            assertThrows(java.net.SocketTimeoutException.class, c::receive, "closed before the write was answered");
            c.setTimeout(10_000);
            ack.complete(null);
            NbdTestClient.Reply r = c.receive();
            assertEquals(7, r.cookie());
            assertEquals(0, r.error());
            assertTrue(c.closedByServer());
        }
    }
}
