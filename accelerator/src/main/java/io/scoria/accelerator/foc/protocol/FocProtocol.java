package io.scoria.accelerator.foc.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The FOC wire protocol, version 1. All integers big-endian.
 *
 * <pre>
 * frame   = u32 length (of the rest) | u8 opcode | u64 requestId | payload | u32 crc32c(opcode..payload)
 * REGISTER      u32 magic "SFOC" | u16 version | u64 ownerEpoch | u32 clusterSize | u16 n | n bytes volume id (UTF-8)
 * ADD_ENTRIES   u32 count | count x entry
 * FLUSH, GET_ENTRIES, UNREGISTER   (empty)
 * REMOVE_UP_TO  u64 scoTag (inclusive)
 * entry   = u64 lba | u64 scoTag | u32 offsetInSco | u32 scoVersion | clusterSize bytes
 * replies carry the request's id:
 * OK            REGISTER: u32 magic | u16 version | u64 epoch; ADD_ENTRIES: u32 count; others empty
 * FENCED        u64 currentEpoch
 * ERROR         u16 n | n bytes message (UTF-8)
 * ENTRIES       u32 count | count x entry      (zero or more per GET_ENTRIES, in replay order)
 * ENTRIES_END   u64 total
 * </pre>
 *
 * A connection serves one volume: REGISTER first, then any requests, pipelined. The server applies
 * them in request order and replies in request order, except that the OK of REMOVE_UP_TO is sent
 * once the removal is durable, possibly after replies to later requests (match replies by id). A
 * frame that fails its length, CRC or layout check closes the connection.
 *
 * <p>{@code scoTag} is the owner's SCO tag (see {@link io.scoria.accelerator.foc.FailoverCache}); the
 * server keys its files by it (its file format calls the field {@code scoNumber}).
 */
public final class FocProtocol {
    public static final int MAGIC = 0x53464F43; // "SFOC"
    public static final short VERSION = 1;

    public static final byte REGISTER = 1;
    public static final byte ADD_ENTRIES = 2;
    public static final byte FLUSH = 3;
    public static final byte REMOVE_UP_TO = 4;
    public static final byte GET_ENTRIES = 5;
    public static final byte UNREGISTER = 6;

    public static final byte OK = 0x40;
    public static final byte FENCED = 0x41;
    public static final byte ERROR = 0x42;
    public static final byte ENTRIES = 0x43;
    public static final byte ENTRIES_END = 0x44;

    /** opcode + request id. */
    public static final int HEADER_BYTES = 1 + 8;
    public static final int CRC_BYTES = 4;
    /** lba + SCO tag + offset + SCO version, before the cluster bytes. */
    public static final int ENTRY_HEADER_BYTES = 8 + 8 + 4 + 4;
    /** Largest frame (after the length field). */
    public static final int MAX_FRAME_BYTES = 32 << 20;

    private FocProtocol() {
    }

    public static int entryBytes(int clusterSize) {
        return ENTRY_HEADER_BYTES + clusterSize;
    }

    /** The decoder that cuts the stream into frames and strips the length field. */
    public static LengthFieldBasedFrameDecoder frameDecoder() {
        return new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 0, 4, 0, 4);
    }

    public static String opcodeName(byte op) {
        switch (op) {
            case REGISTER: return "REGISTER";
            case ADD_ENTRIES: return "ADD_ENTRIES";
            case FLUSH: return "FLUSH";
            case REMOVE_UP_TO: return "REMOVE_UP_TO";
            case GET_ENTRIES: return "GET_ENTRIES";
            case UNREGISTER: return "UNREGISTER";
            case OK: return "OK";
            case FENCED: return "FENCED";
            case ERROR: return "ERROR";
            case ENTRIES: return "ENTRIES";
            case ENTRIES_END: return "ENTRIES_END";
            default: return "0x" + Integer.toHexString(op & 0xff);
        }
    }

    /** Starts a frame: a buffer with the length placeholder, opcode and id; append the payload, then {@link #finish}. */
    public static ByteBuf begin(ByteBufAllocator alloc, byte opcode, long requestId, int payloadHint) {
        ByteBuf b = alloc.buffer(4 + HEADER_BYTES + payloadHint + CRC_BYTES);
        b.writeInt(0).writeByte(opcode).writeLong(requestId);
        return b;
    }

    /** Completes a frame begun with {@link #begin}: fills in the length and appends the CRC. */
    public static ByteBuf finish(ByteBuf frame) {
        CRC32C crc = new CRC32C();
        update(crc, frame, 4, frame.writerIndex() - 4);
        frame.writeInt((int) crc.getValue());
        frame.setInt(0, frame.writerIndex() - 4);
        return frame;
    }

    /**
     * A frame whose payload is {@code prefix} (already written after the header in {@code head})
     * followed by {@code body}; takes ownership of {@code head} and of {@code body} (one reference).
     */
    public static ByteBuf finishWithBody(ByteBufAllocator alloc, ByteBuf head, ByteBuf body) {
        CRC32C crc = new CRC32C();
        update(crc, head, 4, head.writerIndex() - 4);
        update(crc, body, body.readerIndex(), body.readableBytes());
        ByteBuf trailer = alloc.buffer(CRC_BYTES).writeInt((int) crc.getValue());
        head.setInt(0, head.readableBytes() - 4 + body.readableBytes() + CRC_BYTES);
        CompositeByteBuf out = alloc.compositeBuffer(3);
        out.addComponents(true, head, body, trailer);
        return out;
    }

    /** Adds {@code length} bytes of {@code buf} from {@code index} to {@code crc} without copying. */
    public static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer bb : buf.nioBuffers(index, length)) {
                crc.update(bb);
            }
        }
    }

    public static void writeString(ByteBuf b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(bytes.length, 65535);
        b.writeShort(n).writeBytes(bytes, 0, n);
    }

    /** Reads a string written by {@link #writeString}; throws {@link io.scoria.accelerator.foc.FocProtocolException} if truncated. */
    public static String readString(ByteBuf b, String what) {
        need(b, 2, what);
        int n = b.readUnsignedShort();
        need(b, n, what);
        String s = b.toString(b.readerIndex(), n, StandardCharsets.UTF_8);
        b.skipBytes(n);
        return s;
    }

    /** Throws a protocol error naming {@code what} unless {@code b} has {@code n} more bytes. */
    public static void need(ByteBuf b, int n, String what) {
        if (b.readableBytes() < n) {
            throw new io.scoria.accelerator.foc.FocProtocolException(what + ": frame truncated, need " + n
                    + " more bytes, have " + b.readableBytes());
        }
    }
}
