package io.scoria.accelerator.foc.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The FOC wire protocol, versions 2 and 3. All integers big-endian. The two differ only in what an
 * entry's payload is ({@link io.scoria.accelerator.foc.FocEntryFormat}): version 2 carries clear
 * clusters (payload = cluster size), version 3 clusters sealed by the owner (payload = cluster size
 * + 48; sco-store/FORMATS.md, "Fail-over cache entries"); the frames are the same. A client speaks
 * the version of its volume's format in HELLO and REGISTER, the server answers in it; a server of
 * version 2 only refuses a version 3 HELLO with an ERROR naming both versions.
 *
 * <pre>
 * frame   = u32 length (of the rest) | u8 opcode | u64 requestId | payload | trailer
 * trailer = u32 crc32c(opcode..payload)                                     before the handshake ends, and
 *                                                                           always without a shared secret
 *         | 32 bytes HMAC-SHA256(sessionKey, dir | u64 seq | opcode..payload) after it, with a secret
 * HELLO (client, first frame)  u32 magic "SFOC" | u16 version | u8 flags (1: has a secret) | 16 bytes clientNonce
 * WELCOME (server reply)       u32 magic | u16 version | u8 flags (1: requires a secret) | 16 bytes serverNonce
 *                              | 32 bytes proof (HMAC-SHA256(sessionKey, "scoria-foc-2 server proof"), zeros without a secret)
 * AUTH_FAILED (server, then it closes)  u16 n | n bytes reason (UTF-8); always with a CRC trailer
 * REGISTER      u32 magic "SFOC" | u16 version | u64 ownerEpoch (0: claim the next one)
 *               | u32 payloadBytes (version 2: the cluster size; version 3: cluster size + 48)
 *               | u16 n | n bytes volume id (UTF-8)
 * ADD_ENTRIES   u32 count | count x entry
 * FLUSH, GET_ENTRIES, UNREGISTER   (empty)
 * REMOVE_UP_TO  u64 scoTag (inclusive)
 * entry   = u64 lba | u64 scoTag | u32 offsetInSco | u32 scoVersion | payloadBytes bytes
 * replies carry the request's id:
 * OK            REGISTER: u32 magic | u16 version | u64 epoch in force; ADD_ENTRIES: u32 count; others empty
 * FENCED        u64 currentEpoch
 * ERROR         u16 n | n bytes message (UTF-8)
 * ENTRIES       u32 count | count x entry      (zero or more per GET_ENTRIES, in replay order)
 * ENTRIES_END   u64 total
 * </pre>
 *
 * <p>Handshake and authentication: the client sends HELLO, the server answers WELCOME. With a
 * per-cluster secret ({@link io.scoria.accelerator.foc.FocSecret}) on both sides,
 * {@code sessionKey = HMAC-SHA256(secret, "scoria-foc-2 session" | clientNonce | serverNonce)} (fresh
 * nonces from both sides: a frame of one connection fails on every other), the client checks the
 * server's proof, and every later frame in both directions carries the HMAC trailer, with
 * {@code dir} = {@code 'C'} (client to server) or {@code 'S'} and {@code seq} counting that
 * direction's keyed frames from 0 (a replayed, dropped or reordered frame fails). A server with a
 * secret answers a client without one, or a frame whose HMAC fails, with AUTH_FAILED and closes
 * before any request is applied; a client with a secret refuses a server without one (no
 * downgrade). Without a secret on either side the trailer stays CRC32C; such a server only
 * listens on loopback ({@link io.scoria.accelerator.foc.server.FocServer}). Version 1 (no
 * handshake, REGISTER first) is refused with an ERROR naming both versions.
 *
 * <p>Owner epochs are 64-bit counters ({@link io.scoria.accelerator.foc.OwnerEpochs}): REGISTER
 * with epoch 0 claims the stored epoch + 1 (a new owner); a larger explicit epoch than the stored
 * one takes over; a smaller one is FENCED; an implausible one (above
 * {@link io.scoria.accelerator.foc.OwnerEpochs#MAX} or more than
 * {@link io.scoria.accelerator.foc.OwnerEpochs#MAX_STEP} above the stored one) is refused with ERROR.
 *
 * <p>A connection serves one volume: HELLO, REGISTER, then any requests, pipelined. The server
 * applies them in request order and replies in request order, except that the OK of REMOVE_UP_TO
 * is sent once the removal is durable, possibly after replies to later requests (match replies by
 * id). A frame that fails its length, trailer or layout check closes the connection.
 *
 * <p>{@code scoTag} is the owner's SCO tag (see {@link io.scoria.accelerator.foc.FailoverCache}); the
 * server keys its files by it (its file format calls the field {@code scoNumber}). Frames are built
 * with {@link #begin} and written as they are; {@link FrameGuard} fills in the length and trailer.
 */
public final class FocProtocol {
    public static final int MAGIC = 0x53464F43; // "SFOC"
    /** The version of clear entries ({@link io.scoria.accelerator.foc.FocEntryFormat#CLEAR}). */
    public static final short VERSION = 2;
    /** The versions a server of this build speaks, for messages. */
    public static final String SPOKEN = "2 and 3";

    public static final byte REGISTER = 1;
    public static final byte ADD_ENTRIES = 2;
    public static final byte FLUSH = 3;
    public static final byte REMOVE_UP_TO = 4;
    public static final byte GET_ENTRIES = 5;
    public static final byte UNREGISTER = 6;
    public static final byte HELLO = 7;

    public static final byte OK = 0x40;
    public static final byte FENCED = 0x41;
    public static final byte ERROR = 0x42;
    public static final byte ENTRIES = 0x43;
    public static final byte ENTRIES_END = 0x44;
    public static final byte AUTH_FAILED = 0x45;
    public static final byte WELCOME = 0x46;

    /** HELLO and WELCOME flag: a shared secret is held (HELLO) or required (WELCOME). */
    public static final int FLAG_SECRET = 1;

    /** opcode + request id. */
    public static final int HEADER_BYTES = 1 + 8;
    public static final int CRC_BYTES = 4;
    /** lba + SCO tag + offset + SCO version, before the cluster bytes. */
    public static final int ENTRY_HEADER_BYTES = 8 + 8 + 4 + 4;
    /** Largest frame (after the length field, trailer included). */
    public static final int MAX_FRAME_BYTES = 32 << 20;

    private FocProtocol() {
    }

    /** Bytes of one entry on the wire whose payload is {@code payloadBytes} long. */
    public static int entryBytes(int payloadBytes) {
        return ENTRY_HEADER_BYTES + payloadBytes;
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
            case HELLO: return "HELLO";
            case WELCOME: return "WELCOME";
            case AUTH_FAILED: return "AUTH_FAILED";
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
        ByteBuf b = alloc.buffer(4 + HEADER_BYTES + payloadHint);
        b.writeInt(0).writeByte(opcode).writeLong(requestId);
        return b;
    }

    /**
     * A frame begun with {@link #begin}, ready to write: the channel's {@link FrameGuard} fills in
     * the length and appends the trailer (CRC32C or HMAC) as it goes to the wire.
     */
    public static ByteBuf finish(ByteBuf frame) {
        return frame;
    }

    /**
     * A frame whose payload is {@code prefix} (already written after the header in {@code head})
     * followed by {@code body}, without copying {@code body}; takes ownership of {@code head} and of
     * {@code body} (one reference). Sealed by {@link FrameGuard} like {@link #finish}.
     */
    public static ByteBuf finishWithBody(ByteBufAllocator alloc, ByteBuf head, ByteBuf body) {
        CompositeByteBuf out = alloc.compositeBuffer(2);
        out.addComponents(true, head, body);
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
