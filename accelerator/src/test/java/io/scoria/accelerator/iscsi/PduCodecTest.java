package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The PDU decoder and writer, digests and text keys. */
class PduCodecTest {

    @Test
    void crc32cMatchesTheRfcExample() {
        ByteBuf zeros = Unpooled.wrappedBuffer(new byte[32]);
        ByteBuf out = Unpooled.buffer(4).writeIntLE(Crc32c.of(zeros, 0, 32));
        assertArrayEquals(new byte[]{(byte) 0xaa, 0x36, (byte) 0x91, (byte) 0x8a}, new byte[]{out.getByte(0),
                out.getByte(1), out.getByte(2), out.getByte(3)});
    }

    @Test
    void writerAndDecoderAgreeWithDigestsAndPadding() {
        EmbeddedChannel target = new EmbeddedChannel();
        PduWriter writer = new PduWriter(target);
        writer.digests(true, true);
        byte[] h = PduWriter.header(Pdu.NOP_OUT, 0x80);
        PduWriter.putInt(h, 16, 42);
        writer.send(h, Unpooled.wrappedBuffer(new byte[]{1, 2, 3, 4, 5}));
        writer.send(PduWriter.header(Pdu.NOP_OUT, 0x80), null);
        ByteBuf wire = Unpooled.buffer();
        for (Object o; (o = target.readOutbound()) != null; ) {
            wire.writeBytes((ByteBuf) o);
            ((ByteBuf) o).release();
        }
        assertEquals(48 + 4 + 8 + 4 + 48 + 4, wire.readableBytes());
        PduDecoder decoder = new PduDecoder(8192);
        decoder.negotiated(8192, true, true);
        EmbeddedChannel initiator = new EmbeddedChannel(decoder);
        // byte by byte: nothing is decoded before a PDU is complete
        while (wire.isReadable()) {
            initiator.writeInbound(wire.readRetainedSlice(1));
        }
        Pdu first = initiator.readInbound();
        assertEquals(42, first.itt());
        assertEquals(5, first.data().readableBytes());
        assertEquals(3, first.data().getByte(2));
        first.release();
        Pdu second = initiator.readInbound();
        assertEquals(0, second.dataSegmentLength());
        assertNull(initiator.readInbound());
    }

    @Test
    void wrongDigestAndOversizedSegmentAreRefused() {
        PduDecoder decoder = new PduDecoder(8192);
        decoder.negotiated(8192, true, false);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf bad = Unpooled.buffer().writeBytes(new byte[48]).writeInt(12345);
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(bad));
        assertInstanceOf(PduException.class, e.getCause());
        EmbeddedChannel ch2 = new EmbeddedChannel(new PduDecoder(8192));
        byte[] h = new byte[48];
        h[5] = 1; // 65536 bytes
        assertThrows(DecoderException.class, () -> ch2.writeInbound(Unpooled.wrappedBuffer(h)));
    }

    @Test
    void textKeysKeepOrderAndRefuseGarbage() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("InitiatorName", "iqn.x");
        m.put("AuthMethod", "CHAP,None");
        assertEquals(m, TextKeys.parse(TextKeys.format(m)));
        assertThrows(LoginException.class, () -> TextKeys.parse("novalue\0".getBytes()));
        assertThrows(LoginException.class, () -> TextKeys.parse("a=1\0a=2\0".getBytes()));
    }

    @Test
    void negotiationTakesTheMinimumAndAnswersUnknownKeys() {
        OperationalNegotiation n = new OperationalNegotiation();
        Map<String, String> a = new LinkedHashMap<>();
        n.offer("MaxBurstLength", "1048576", a);
        n.offer("FirstBurstLength", "262144", a);
        n.offer("ErrorRecoveryLevel", "2", a);
        n.offer("HeaderDigest", "CRC32C,None", a);
        n.offer("X-vendor.key", "1", a);
        n.offer("MaxRecvDataSegmentLength", "131072", a);
        n.declare(a);
        assertEquals("0", a.get("ErrorRecoveryLevel"));
        assertEquals("CRC32C", a.get("HeaderDigest"));
        assertEquals("NotUnderstood", a.get("X-vendor.key"));
        assertEquals(String.valueOf(SessionParams.TARGET_RECV_DATA_SEGMENT), a.get("MaxRecvDataSegmentLength"));
        SessionParams p = n.result();
        assertEquals(1048576, p.maxBurst());
        assertEquals(131072, p.sendDataSegment());
        assertTrue(p.headerDigest());
        assertThrows(LoginException.class, () -> n.offer("MaxBurstLength", "12", a));
    }
}
