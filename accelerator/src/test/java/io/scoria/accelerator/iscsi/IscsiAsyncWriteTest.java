package io.scoria.accelerator.iscsi;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.Volume;
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

import static org.junit.jupiter.api.Assertions.*;

/**
 * Writes whose acknowledgement comes later ({@link Volume#writeAsync}, e.g. a fail-over cache in
 * sync mode): the SCSI Response waits for it, no worker waits with it, and a failed
 * acknowledgement is CHECK CONDITION.
 */
class IscsiAsyncWriteTest {
    final InMemoryVolumeService engine = new InMemoryVolumeService();
    final DeferredAcks deferred = new DeferredAcks();
    final LinkedBlockingQueue<CompletableFuture<Void>> acks = deferred.acks;
    IscsiServer server;

    @BeforeEach
    void start() {
        engine.create("vm1", VolumeSpec.ofSize(16L << 20));
        VolumeService deferring = deferred.wrap(engine);
        IscsiServerConfig l = IscsiServerConfig.loopback(0);
        // one worker: if it waited for an acknowledgement, nothing else would run
        server = new IscsiServer(new IscsiServerConfig(l.host(), 0, l.iqnPrefix(), 1, 512, l.discoveryChap(),
                l.defaultChap(), Map.of(), l.limits(), null), deferring, new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        deferred.completeAll();
        server.close();
        engine.close();
    }

    @Test
    void responsesWaitForTheAcknowledgementWithoutHoldingAWorker() throws Exception {
        try (IscsiTestClient writer = new IscsiTestClient("127.0.0.1", server.port());
             IscsiTestClient reader = new IscsiTestClient("127.0.0.1", server.port())) {
            assertEquals(0, writer.login(IscsiServerTest.TARGET, IscsiServerTest.OPS));
            assertEquals(0, reader.login(IscsiServerTest.TARGET, IscsiServerTest.OPS));
            byte[] data = IscsiServerTest.pattern(512, 4);
            byte[] cdb = IscsiTestClient.cdb16(BlockCommands.WRITE_16, 3, 1, 0);
            writer.send(writer.commandHeader(cdb, 0xa1, 512, writer.nextTag()), data);
            CompletableFuture<Void> ack = acks.poll(10, TimeUnit.SECONDS);
            assertNotNull(ack, "the write reached the volume");
            assertArrayEquals(data, reader.read(3, 1, 512), "the one worker is free while the ack is pending");
            writer.socket.setSoTimeout(300);
            assertThrows(java.net.SocketTimeoutException.class, writer::read, "no response before the ack");
            writer.socket.setSoTimeout(10_000);
            ack.complete(null);
            IscsiTestClient.Received r = writer.read();
            assertEquals(Pdu.SCSI_RESPONSE, r.opcode());
            assertEquals(ScsiResult.GOOD, r.bhs()[3]);

            writer.send(writer.commandHeader(cdb, 0xa1, 512, writer.nextTag()), data);
            acks.poll(10, TimeUnit.SECONDS).completeExceptionally(new IllegalStateException("FOC lost"));
            IscsiTestClient.Received failed = writer.read();
            assertEquals(ScsiResult.CHECK_CONDITION, failed.bhs()[3]);
        }
    }
}
