package io.scoria.accelerator.foc.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.scoria.accelerator.foc.FocAuthenticationException;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocProtocolException;
import io.scoria.accelerator.foc.OwnerEpochs;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.protocol.FrameGuard;
import io.scoria.accelerator.foc.protocol.SessionKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One TCP connection of a {@link FocClient}: the handshake (HELLO, the server's WELCOME with its
 * proof of the shared secret, then every frame under the session key, see {@link FocProtocol}),
 * REGISTER, the requests awaiting a reply, and the replies, handed to the {@link ClientSession}. A
 * reply that matches no request, a bad frame, a server that cannot prove the secret, or one
 * without a secret while this client has one, closes the connection.
 *
 * <p>Threads: replies are handled on the client's I/O thread; {@link #close} and
 * {@link #failPending} may be called from any thread. Locks: none of its own (the pending map is
 * concurrent); it calls the session, which takes the client's lock. Buffers: each inbound frame is
 * released here after decoding; replayed cluster bytes are lent to the consumer for the call only.
 */
final class Connection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    private final ClientSession client;
    private final FocClientConfig config;
    private final int entryBytes;
    final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    volatile Channel channel;
    /** Seals and checks frames; set before the channel is connected. */
    FrameGuard guard;
    /** Set once REGISTER succeeded. */
    volatile boolean registered;
    volatile String closeReason;
    private final byte[] clientNonce = SessionKey.newNonce();
    private boolean welcomed;
    private Pending registration;

    /** The server ({@code HOST:PORT}) this connection goes to. */
    final String server;

    Connection(ClientSession client, FocClientConfig config, String server) {
        this.client = client;
        this.config = config;
        this.server = server;
        this.entryBytes = FocProtocol.entryBytes(config.payloadBytes());
    }

    long nextRequestId() {
        return nextId.incrementAndGet();
    }

    /**
     * Once connected: sends HELLO and returns the pending REGISTER, which is sent when the server's
     * WELCOME checks out. Its deadline covers the whole handshake.
     */
    Pending start() {
        Pending p = new Pending(FocProtocol.REGISTER, nextRequestId(), null, 0, null);
        p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
        pending.put(p.requestId, p);
        registration = p;
        ByteBuf h = FocProtocol.begin(channel.alloc(), FocProtocol.HELLO, 0, 24);
        h.writeInt(FocProtocol.MAGIC).writeShort(config.entryFormat().protocolVersion())
                .writeByte(config.secret() != null ? FocProtocol.FLAG_SECRET : 0).writeBytes(clientNonce);
        channel.writeAndFlush(FocProtocol.finish(h));
        return p;
    }

    /** On the I/O thread: checks the server's WELCOME, keys the connection and sends REGISTER. */
    private void onWelcome(byte op, ByteBuf f) {
        if (op == FocProtocol.ERROR) {
            String msg = FocProtocol.readString(f, "ERROR");
            fail(new FocException("FOC server " + client.server() + " refused the handshake: " + msg));
            return;
        }
        if (op != FocProtocol.WELCOME) {
            throw new FocProtocolException("expected WELCOME, got " + FocProtocol.opcodeName(op));
        }
        FocProtocol.need(f, 4 + 2 + 1 + SessionKey.NONCE_BYTES + SessionKey.MAC_BYTES, "WELCOME");
        if (f.readInt() != FocProtocol.MAGIC || f.readShort() != config.entryFormat().protocolVersion()) {
            throw new FocProtocolException("WELCOME with bad magic or version");
        }
        boolean serverAuth = (f.readByte() & FocProtocol.FLAG_SECRET) != 0;
        byte[] serverNonce = new byte[SessionKey.NONCE_BYTES];
        byte[] proof = new byte[SessionKey.MAC_BYTES];
        f.readBytes(serverNonce).readBytes(proof);
        if (config.secret() != null) {
            if (!serverAuth) {
                fail(new FocAuthenticationException("FOC server " + client.server()
                        + " has no shared secret but this client has one: refusing an unauthenticated server"));
                return;
            }
            SessionKey key = SessionKey.derive(config.secret(), clientNonce, serverNonce);
            if (!key.verifyServerProof(proof)) {
                fail(new FocAuthenticationException("FOC server " + client.server()
                        + " cannot prove the shared secret: the secrets of client and server differ"));
                return;
            }
            guard.keyed(key);
        } else if (serverAuth) {
            fail(new FocAuthenticationException("FOC server " + client.server()
                    + " requires the cluster's shared secret and this client has none configured"));
            return;
        }
        welcomed = true;
        ByteBuf r = FocProtocol.begin(channel.alloc(), FocProtocol.REGISTER, registration.requestId, 64);
        r.writeInt(FocProtocol.MAGIC).writeShort(config.entryFormat().protocolVersion()).writeLong(client.ownerEpoch())
                .writeInt(config.payloadBytes());
        FocProtocol.writeString(r, config.volumeId());
        channel.writeAndFlush(FocProtocol.finish(r));
    }

    /** Fails the registration with {@code e} (logged) and closes. */
    private void fail(FocException e) {
        LOG.error("{}", e.getMessage());
        registration.future.completeExceptionally(e);
        close(e.getMessage());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf f = (ByteBuf) msg;
        try {
            byte op = f.readByte();
            long id = f.readLong();
            if (op == FocProtocol.AUTH_FAILED) {
                fail(new FocAuthenticationException("FOC server " + client.server()
                        + " refused this client: " + FocProtocol.readString(f, "AUTH_FAILED")));
                return;
            }
            if (!welcomed) {
                onWelcome(op, f);
                return;
            }
            Pending p = op == FocProtocol.ENTRIES ? pending.get(id) : pending.remove(id);
            if (p == null) {
                throw new FocProtocolException("reply " + FocProtocol.opcodeName(op) + " to unknown request " + id);
            }
            onReply(p, op, f);
        } finally {
            f.release();
        }
    }

    private void onReply(Pending p, byte op, ByteBuf f) {
        switch (op) {
            case FocProtocol.FENCED:
                FocProtocol.need(f, 8, "FENCED");
                FocFencedException fenced = new FocFencedException(config.volumeId(), client.ownerEpoch(), f.readLong());
                p.future.completeExceptionally(fenced);
                client.onFenced(this, fenced);
                return;
            case FocProtocol.ERROR:
                String msg = FocProtocol.readString(f, "ERROR");
                if (p.opcode == FocProtocol.REGISTER || p.opcode == FocProtocol.ADD_ENTRIES) {
                    LOG.error("FOC server {} refused {} of volume {}: {}", client.server(),
                            FocProtocol.opcodeName(p.opcode), config.volumeId(), msg);
                    close("server error: " + msg);
                }
                p.future.completeExceptionally(new FocException("FOC server refused "
                        + FocProtocol.opcodeName(p.opcode) + ": " + msg));
                return;
            case FocProtocol.OK:
                if (p.opcode == FocProtocol.REGISTER) {
                    FocProtocol.need(f, 14, "REGISTER reply");
                    if (f.readInt() != FocProtocol.MAGIC || f.readShort() != config.entryFormat().protocolVersion()) {
                        throw new FocProtocolException("REGISTER reply with bad magic or version");
                    }
                    long epoch = f.readLong();
                    long asked = client.ownerEpoch();
                    if (epoch <= OwnerEpochs.CLAIM || (asked != OwnerEpochs.CLAIM && epoch != asked)) {
                        throw new FocProtocolException("REGISTER reply with epoch " + epoch + " for epoch " + asked);
                    }
                    client.epochInForce(epoch);
                    registered = true;
                    client.onRegistered(this);
                } else if (p.opcode == FocProtocol.ADD_ENTRIES) {
                    client.onAdded(this, p.batch);
                }
                p.future.complete(0L);
                return;
            case FocProtocol.ENTRIES:
                readEntries(p, f);
                return;
            case FocProtocol.ENTRIES_END:
                FocProtocol.need(f, 8, "ENTRIES_END");
                long total = f.readLong();
                if (total != p.received) {
                    throw new FocProtocolException("GET_ENTRIES announced " + total + " entries, received " + p.received);
                }
                p.future.complete(total);
                return;
            default:
                throw new FocProtocolException("unexpected reply " + FocProtocol.opcodeName(op));
        }
    }

    private void readEntries(Pending p, ByteBuf f) {
        if (p.opcode != FocProtocol.GET_ENTRIES) {
            throw new FocProtocolException("ENTRIES reply to " + FocProtocol.opcodeName(p.opcode));
        }
        FocProtocol.need(f, 4, "ENTRIES");
        int n = f.readInt();
        if (n < 0 || (long) n * entryBytes != f.readableBytes()) {
            throw new FocProtocolException("ENTRIES of " + n + " entries has " + f.readableBytes() + " bytes");
        }
        p.deadline = System.nanoTime() + config.requestTimeout().toNanos();
        for (int i = 0; i < n; i++) {
            long lba = f.readLong();
            long sco = f.readLong();
            int off = f.readInt();
            int ver = f.readInt();
            try {
                p.consumer.accept(lba, sco, off, ver, f.nioBuffer(f.readerIndex(), config.payloadBytes()));
            } catch (RuntimeException e) {
                p.future.completeExceptionally(new FocException("replay consumer failed on lba " + lba + ": " + e, e));
                throw e;
            }
            f.skipBytes(config.payloadBytes());
        }
        p.received += n;
    }

    /** The first request whose deadline passed, or null. */
    Pending overdue(long now) {
        for (Pending p : pending.values()) {
            long d = p.deadline;
            if (d != 0 && now - d > 0) {
                return p;
            }
        }
        return null;
    }

    /** Fails every request awaiting a reply. */
    void failPending(FocException e) {
        for (Pending p : pending.values()) {
            p.future.completeExceptionally(e);
        }
        pending.clear();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        client.onConnectionLost(this, closeReason != null ? closeReason : "connection closed by the FOC server");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(cause instanceof FocException ? cause.getMessage() : cause.toString());
    }

    /** Closes the connection; {@code reason} is logged and given to failed requests. */
    void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
