package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.Test;

import java.io.DataOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.LongSupplier;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Hostile clients cannot take the node's memory: a client that never reads its replies and a
 * client that sends maximal WRITE headers without their data hold at most their share of request
 * data (NbdLimits), allocate little for data never sent, are disconnected after the stall timeout,
 * and a well-behaved client on the same server keeps being served meanwhile.
 */
class NbdMemoryBoundTest {
    static final int MAX = 32 << 20;
    static final long PER_CONNECTION = 8 << 20;
    static final NbdLimits LIMITS = NbdLimits.DEFAULTS.withMemory(PER_CONNECTION, 256L << 20)
            .withTimeouts(Duration.ofSeconds(3), Duration.ZERO);

    @Test
    void aClientThatNeverReadsItsRepliesHoldsOneRequestAtMost() throws Exception {
        try (InMemoryVolumeService service = new InMemoryVolumeService();
             NbdServer server = new NbdServer(NbdServerConfig.loopback(0).withLimits(LIMITS), service,
                     new SimpleMeterRegistry())) {
            service.create("vm", VolumeSpec.ofSize(64L << 20));
            long directBefore = usedDirect();
            try (Socket hostile = attach(server.port(), "vm")) {
                DataOutputStream out = new DataOutputStream(hostile.getOutputStream());
                for (int i = 0; i < 2000; i++) { // 2,000 reads of 32 MiB, replies never read
                    out.writeInt(REQUEST_MAGIC);
                    out.writeShort(0);
                    out.writeShort(CMD_READ);
                    out.writeLong(i);
                    out.writeLong(0);
                    out.writeInt(MAX);
                }
                out.flush();
                Peak peak = new Peak(server::requestBytesHeld, NbdMemoryBoundTest::usedDirect);
                wellBehavedClientIsServed(server.port(), peak);
                assertTrue(peak.held <= MAX + PER_CONNECTION, "request data held " + peak.held);
                assertTrue(peak.direct - directBefore <= 2L * MAX + (16 << 20),
                        "direct memory grew by " + (peak.direct - directBefore));
                awaitZero(server::requestBytesHeld, "the stalled client is disconnected and its bytes return");
            }
        }
    }

    @Test
    void maximalWriteHeadersWithoutDataAllocateNothingUntilDataArrives() throws Exception {
        try (InMemoryVolumeService service = new InMemoryVolumeService();
             NbdServer server = new NbdServer(NbdServerConfig.loopback(0).withLimits(LIMITS), service,
                     new SimpleMeterRegistry())) {
            service.create("vm", VolumeSpec.ofSize(64L << 20));
            long directBefore = usedDirect();
            Socket[] hostile = new Socket[4];
            try {
                for (int h = 0; h < hostile.length; h++) {
                    hostile[h] = attach(server.port(), "vm");
                    DataOutputStream out = new DataOutputStream(hostile[h].getOutputStream());
                    for (int i = 0; i < 256; i++) {
                        out.writeInt(REQUEST_MAGIC);
                        out.writeShort(0);
                        out.writeShort(CMD_WRITE);
                        out.writeLong(i);
                        out.writeLong(0);
                        out.writeInt(MAX);
                    }
                    out.flush();
                }
                Peak peak = new Peak(server::requestBytesHeld, NbdMemoryBoundTest::usedDirect);
                wellBehavedClientIsServed(server.port(), peak);
                assertTrue(peak.held <= 4L * MAX + PER_CONNECTION, "request data held " + peak.held);
                // 4 x 256 headers were read as the first write's payload: 7 KiB each, one 1 MiB piece
                assertTrue(peak.direct - directBefore <= 4L * (1 << 20) + (16 << 20),
                        "direct memory grew by " + (peak.direct - directBefore));
                awaitZero(server::requestBytesHeld, "half-sent writes are disconnected and their bytes return");
            } finally {
                for (Socket s : hostile) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
        }
    }

    /** 200 writes and reads of 64 KiB by a client that reads its replies, checked byte-exact. */
    private static void wellBehavedClientIsServed(int port, Peak peak) throws Exception {
        try (NbdTestClient c = new NbdTestClient("127.0.0.1", port)) {
            assertEquals(REP_ACK, c.go("vm"));
            for (int i = 0; i < 200; i++) {
                byte[] data = NbdServerTest.pattern(64 << 10, i);
                long off = (long) (i % 64) << 20;
                assertEquals(0, c.write(off, data, 0));
                assertArrayEquals(data, c.read(off, data.length));
                peak.sample();
            }
        }
    }

    private static Socket attach(int port, String export) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // the kernel takes little of what the server sends
        s.connect(new InetSocketAddress("127.0.0.1", port));
        s.getInputStream().readNBytes(18);
        OutputStream out = s.getOutputStream();
        out.write(ByteBuffer.allocate(4).putInt(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES).array());
        out.write(NbdFuzzTest.option(OPT_GO, NbdTestClient.infoPayload(export)));
        out.flush();
        // option replies: INFO export, INFO block size, ACK
        for (int i = 0; i < 3; i++) {
            byte[] header = s.getInputStream().readNBytes(20);
            int length = ByteBuffer.wrap(header, 16, 4).getInt();
            s.getInputStream().readNBytes(length);
            if (ByteBuffer.wrap(header, 12, 4).getInt() == REP_ACK) {
                break;
            }
        }
        return s;
    }

    private static long usedDirect() {
        return PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
    }

    private static void awaitZero(LongSupplier value, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (value.getAsLong() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, value.getAsLong(), what);
    }

    /** Highest request data and direct memory seen while sampling. */
    static final class Peak {
        final LongSupplier heldNow;
        final LongSupplier directNow;
        long held;
        long direct;

        Peak(LongSupplier heldNow, LongSupplier directNow) {
            this.heldNow = heldNow;
            this.directNow = directNow;
            sample();
        }

        void sample() {
            held = Math.max(held, heldNow.getAsLong());
            direct = Math.max(direct, directNow.getAsLong());
        }
    }

}
