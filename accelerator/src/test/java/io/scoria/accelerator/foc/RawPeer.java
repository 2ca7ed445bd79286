package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.protocol.SessionKey;

import javax.crypto.Mac;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A FOC client driven by hand over a blocking socket, for tests that send what {@code FocClient}
 * never would: forged, replayed or reordered frames. Seals frames like {@code FrameGuard} (CRC32C,
 * or HMAC once keyed). Not thread-safe.
 */
final class RawPeer implements AutoCloseable {
    record Frame(byte op, long id, byte[] payload) {
        String text() {
            ByteBuffer b = ByteBuffer.wrap(payload);
            int n = b.getShort() & 0xffff;
            return new String(payload, 2, n, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private Mac sendMac;
    private Mac receiveMac;
    private long sendSeq;
    private long receiveSeq;

    RawPeer(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Sends HELLO; reads WELCOME; with a secret, derives the session key and keys this peer. Returns WELCOME. */
    Frame hello(FocSecret secret, boolean claimSecret) throws IOException {
        byte[] nonce = SessionKey.newNonce();
        ByteBuffer p = ByteBuffer.allocate(4 + 2 + 1 + nonce.length);
        p.putInt(FocProtocol.MAGIC).putShort(FocProtocol.VERSION).put((byte) (claimSecret ? 1 : 0)).put(nonce);
        send(FocProtocol.HELLO, 0, p.array());
        Frame w = read();
        if (w != null && w.op() == FocProtocol.WELCOME && secret != null) {
            byte[] serverNonce = Arrays.copyOfRange(w.payload(), 7, 7 + SessionKey.NONCE_BYTES);
            SessionKey k = SessionKey.derive(secret, nonce, serverNonce);
            sendMac = k.newMac();
            receiveMac = k.newMac();
        }
        return w;
    }

    static byte[] register(long epoch, int clusterSize, String volume) {
        byte[] v = volume.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer p = ByteBuffer.allocate(4 + 2 + 8 + 4 + 2 + v.length);
        p.putInt(FocProtocol.MAGIC).putShort(FocProtocol.VERSION).putLong(epoch).putInt(clusterSize)
                .putShort((short) v.length).put(v);
        return p.array();
    }

    /** The wire bytes of a frame, sealed as the next one of this peer (advances its sequence). */
    byte[] seal(byte op, long id, byte[] payload) {
        ByteBuffer body = ByteBuffer.allocate(9 + payload.length);
        body.put(op).putLong(id).put(payload);
        byte[] b = body.array();
        byte[] trailer;
        if (sendMac != null) {
            sendMac.update(prefix('C', sendSeq++));
            trailer = sendMac.doFinal(b);
        } else {
            CRC32C c = new CRC32C();
            c.update(b);
            trailer = ByteBuffer.allocate(4).putInt((int) c.getValue()).array();
        }
        ByteBuffer f = ByteBuffer.allocate(4 + b.length + trailer.length);
        f.putInt(b.length + trailer.length).put(b).put(trailer);
        return f.array();
    }

    private static byte[] prefix(char direction, long seq) {
        return ByteBuffer.allocate(9).put((byte) direction).putLong(seq).array();
    }

    void send(byte op, long id, byte[] payload) throws IOException {
        sendRaw(seal(op, id, payload));
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next frame, its trailer checked (MAC once keyed, except a CRC'd AUTH_FAILED); null at end of stream. */
    Frame read() throws IOException {
        int len;
        try {
            len = in.readInt();
        } catch (EOFException | SocketException e) {
            return null;
        }
        byte[] f = new byte[len];
        in.readFully(f);
        int trailer = receiveMac != null && f[0] != FocProtocol.AUTH_FAILED ? SessionKey.MAC_BYTES : 4;
        byte[] body = Arrays.copyOf(f, len - trailer);
        byte[] got = Arrays.copyOfRange(f, len - trailer, len);
        if (trailer == 4) {
            CRC32C c = new CRC32C();
            c.update(body);
            if (ByteBuffer.wrap(got).getInt() != (int) c.getValue()) {
                throw new IOException("bad CRC from the server");
            }
        } else {
            receiveMac.update(prefix('S', receiveSeq++));
            if (!MessageDigest.isEqual(receiveMac.doFinal(body), got)) {
                throw new IOException("bad MAC from the server");
            }
        }
        ByteBuffer b = ByteBuffer.wrap(body);
        return new Frame(b.get(), b.getLong(), Arrays.copyOfRange(body, 9, body.length));
    }

    /** True if the server closes the connection (after any frames it still sends) within the timeout. */
    boolean closedByServer() throws IOException {
        while (true) {
            try {
                if (read() == null) {
                    return true;
                }
            } catch (IOException e) {
                return e instanceof SocketException || e instanceof EOFException;
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
