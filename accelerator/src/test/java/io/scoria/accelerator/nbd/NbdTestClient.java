package io.scoria.accelerator.nbd;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * A small blocking NBD client for tests: fixed newstyle negotiation, options, pipelined
 * requests and simple or structured replies. Not thread-safe except that one thread may send
 * while another receives.
 */
final class NbdTestClient implements AutoCloseable {
    record OptionReply(int option, int type, byte[] data) {
    }

    /** A reply; {@code data} holds READ data (null otherwise). */
    record Reply(long cookie, int error, byte[] data, String message) {
    }

    private Socket socket;
    private DataInputStream in;
    private DataOutputStream out;
    private final Map<Long, Integer> pendingReads = new ConcurrentHashMap<>();
    int handshakeFlags;
    long exportSize;
    int transmissionFlags;
    boolean structured;
    int blockMin;
    int blockPreferred;
    int blockMax;

    NbdTestClient(String host, int port) throws IOException {
        socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        streams();
        long magic = in.readLong();
        long opt = in.readLong();
        if (magic != NBDMAGIC || opt != IHAVEOPT) {
            throw new IOException("bad server greeting");
        }
        handshakeFlags = in.readUnsignedShort();
        out.writeInt(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
        out.flush();
    }

    private void streams() throws IOException {
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    }

    void sendOption(int option, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptionReply readOptionReply() throws IOException {
        long magic = in.readLong();
        if (magic != OPTION_REPLY_MAGIC) {
            throw new IOException("bad option reply magic " + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** Sends an option and collects replies up to and including the ACK or an error. */
    List<OptionReply> option(int option, byte[] data) throws IOException {
        sendOption(option, data);
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = readOptionReply();
            replies.add(r);
            if (r.type() == REP_ACK || r.type() < 0) {
                return replies;
            }
        }
    }

    static byte[] infoPayload(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    /** The payload of LIST_META_CONTEXT / SET_META_CONTEXT. */
    static byte[] metaPayload(String export, String... queries) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(b);
        try {
            byte[] n = export.getBytes(StandardCharsets.UTF_8);
            d.writeInt(n.length);
            d.write(n);
            d.writeInt(queries.length);
            for (String q : queries) {
                byte[] qb = q.getBytes(StandardCharsets.UTF_8);
                d.writeInt(qb.length);
                d.write(qb);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    /** The context names of NBD_REP_META_CONTEXT replies (before the final reply). */
    static List<String> contextNames(List<OptionReply> replies) {
        List<String> out = new ArrayList<>();
        for (OptionReply r : replies) {
            if (r.type() == REP_META_CONTEXT) {
                out.add(new String(r.data(), 4, r.data().length - 4, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** BLOCK_STATUS; returns the descriptors as {length, flags} pairs, or throws with the error. */
    /** The BLOCK_STATUS chunks of the last structured reply, in order (context id first). */
    private final List<byte[]> statusChunks = new ArrayList<>();

    /** A BLOCK_STATUS answered with one chunk per context: descriptors by context id, in chunk order. */
    java.util.Map<Integer, List<long[]>> blockStatusByContext(long offset, long length, int flags) throws IOException {
        send(CMD_BLOCK_STATUS, flags, 4, offset, length, null);
        Reply r = receive();
        if (r.error() != 0) {
            throw new IOException("block status error " + r.error() + ": " + r.message());
        }
        java.util.Map<Integer, List<long[]>> out = new java.util.LinkedHashMap<>();
        for (byte[] chunk : statusChunks) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(chunk);
            List<long[]> d = out.computeIfAbsent(b.getInt(), k -> new ArrayList<>());
            while (b.hasRemaining()) {
                d.add(new long[]{b.getInt() & 0xffffffffL, b.getInt()});
            }
        }
        return out;
    }

    List<long[]> blockStatus(long offset, long length, int flags) throws IOException {
        send(CMD_BLOCK_STATUS, flags, 4, offset, length, null);
        Reply r = receive();
        if (r.error() != 0) {
            throw new IOException("block status error " + r.error() + ": " + r.message());
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.data());
        b.getInt(); // context id
        List<long[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            out.add(new long[]{b.getInt() & 0xffffffffL, b.getInt()});
        }
        return out;
    }

    boolean negotiateStructuredReplies() throws IOException {
        structured = option(OPT_STRUCTURED_REPLY, new byte[0]).get(0).type() == REP_ACK;
        return structured;
    }

    /** NBD_OPT_GO; returns the final reply type (REP_ACK on success). */
    int go(String name) throws IOException {
        List<OptionReply> replies = option(OPT_GO, infoPayload(name, INFO_BLOCK_SIZE));
        for (OptionReply r : replies) {
            if (r.type() == REP_INFO) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.data());
                int info = b.getShort() & 0xffff;
                if (info == INFO_EXPORT) {
                    exportSize = b.getLong();
                    transmissionFlags = b.getShort() & 0xffff;
                } else if (info == INFO_BLOCK_SIZE) {
                    blockMin = b.getInt();
                    blockPreferred = b.getInt();
                    blockMax = b.getInt();
                }
            }
        }
        return replies.get(replies.size() - 1).type();
    }

    /** Upgrades to TLS (trusting any certificate); returns the STARTTLS reply type. */
    int startTls() throws Exception {
        return startTls(null);
    }

    /** STARTTLS, then a TLS handshake presenting the certificate of {@code keys} (null: none). */
    int startTls(javax.net.ssl.KeyManager[] keys) throws Exception {
        int type = option(OPT_STARTTLS, new byte[0]).get(0).type();
        if (type != REP_ACK) {
            return type;
        }
        handshake(keys);
        return type;
    }

    /** The TLS handshake over the open socket (after the server acknowledged STARTTLS). */
    void handshake(javax.net.ssl.KeyManager[] keys) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys, new TrustManager[]{new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {
            }

            public void checkServerTrusted(X509Certificate[] c, String a) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(socket, socket.getInetAddress().getHostAddress(),
                socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        streams();
    }

    void send(int type, int flags, long cookie, long offset, long length, byte[] payload) throws IOException {
        if (type == CMD_READ) {
            pendingReads.put(cookie, (int) length);
        }
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    Reply receive() throws IOException {
        int magic = in.readInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
            int error = in.readInt();
            long cookie = in.readLong();
            Integer len = pendingReads.remove(cookie);
            byte[] data = null;
            if (len != null && error == 0) {
                data = new byte[len];
                in.readFully(data);
            }
            return new Reply(cookie, error, data, null);
        }
        if (magic != STRUCTURED_REPLY_MAGIC) {
            throw new IOException("bad reply magic " + Integer.toHexString(magic));
        }
        byte[] data = null;
        statusChunks.clear();
        while (true) {
            int flags = in.readUnsignedShort();
            int type = in.readUnsignedShort();
            long cookie = in.readLong();
            int length = in.readInt();
            if (type == REPLY_TYPE_OFFSET_DATA) {
                Integer total = pendingReads.get(cookie);
                long off = in.readLong();
                if (data == null) {
                    data = new byte[total];
                }
                // chunks of one read arrive in order of our own server; place by offset relative to first
                in.readFully(data, 0, length - 8);
                if (length - 8 != total) {
                    throw new IOException("partial data chunks not expected from this server: " + off);
                }
            } else if (type == REPLY_TYPE_BLOCK_STATUS) {
                data = new byte[length];
                in.readFully(data);
                statusChunks.add(data);
            } else if (type == REPLY_TYPE_ERROR) {
                int error = in.readInt();
                byte[] msg = new byte[in.readUnsignedShort()];
                in.readFully(msg);
                in.skipBytes(length - 6 - msg.length);
                pendingReads.remove(cookie);
                return new Reply(cookie, error, null, new String(msg, StandardCharsets.UTF_8));
            } else {
                in.skipBytes(length);
            }
            if ((flags & REPLY_FLAG_DONE) != 0) {
                pendingReads.remove(cookie);
                return new Reply(cookie, 0, data, null);
            }
            if (in.readInt() != STRUCTURED_REPLY_MAGIC) {
                throw new IOException("bad chunk magic");
            }
        }
    }

    byte[] read(long offset, int length) throws IOException {
        send(CMD_READ, 0, 1, offset, length, null);
        Reply r = receive();
        if (r.error() != 0) {
            throw new IOException("read error " + r.error());
        }
        return r.data();
    }

    int write(long offset, byte[] data, int flags) throws IOException {
        send(CMD_WRITE, flags, 2, offset, data.length, data);
        return receive().error();
    }

    int command(int type, int flags, long offset, long length) throws IOException {
        send(type, flags, 3, offset, length, null);
        return receive().error();
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    long readLong() throws IOException {
        return in.readLong();
    }

    int readShort() throws IOException {
        return in.readUnsignedShort();
    }

    void rawWrite(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void setTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
