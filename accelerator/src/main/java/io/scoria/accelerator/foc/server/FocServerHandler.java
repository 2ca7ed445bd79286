package io.scoria.accelerator.foc.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocEntryFormat;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocProtocolException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One server connection: parses and checks frames on the event loop, then applies them, in request
 * order, under the volume's lock ({@link VolumeStore#lock()}). ADD_ENTRIES, the hot path, runs inline
 * on the event loop when nothing of this connection waits on the volume's thread and the lock is
 * free: a page-cache write, no thread hand-off before the reply. Everything else (REGISTER, FLUSH's
 * fsync, removals, GET_ENTRIES) and a contended ADD go to the volume's thread
 * ({@link VolumeStore#executor()}). A request of this connection is never applied, nor answered,
 * before an earlier one: while one is queued, later ones queue behind it, and the count of queued
 * requests drops only once the reply was written on the event loop. One exception: REMOVE_UP_TO is
 * applied in order, but its reply waits until the removal is durable
 * ({@link VolumeStore#persistRemovals}), and later requests do not wait for that; replies carry
 * the request id.
 * A malformed frame closes this connection only, with the reason logged.
 *
 * <p>Threads: {@link #channelRead} on the connection's event loop; tasks on the volume's thread.
 * Locks: the volume's lock around every task. Buffers: each request frame is owned by its task,
 * which releases it; replies are built by {@link Replies} and {@link EntryStream}.
 */
final class FocServerHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(FocServerHandler.class);

    private final FocServer server;
    /** Set on the event loop by REGISTER; requests before it are protocol errors. */
    private VolumeStore store;
    /** The owner epoch once REGISTER succeeded; read and written under the volume's lock only. */
    private long epoch = -1;
    /** Requests of this connection handed to the volume's thread and not yet answered on the event loop. */
    private final AtomicInteger queued = new AtomicInteger();

    FocServerHandler(FocServer server) {
        this.server = server;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        boolean handedOff = false;
        try {
            byte op = frame.readByte();
            long id = frame.readLong();
            if (op == FocProtocol.REGISTER) {
                register(ctx, frame, id);
                return;
            }
            if (store == null) {
                throw new FocProtocolException(FocProtocol.opcodeName(op) + " before REGISTER");
            }
            Runnable task = requestTask(ctx, op, id, frame);
            if (op == FocProtocol.ADD_ENTRIES && queued.get() == 0 && store.lock().tryLock()) {
                handedOff = true;
                try {
                    task.run();
                } finally {
                    store.lock().unlock();
                }
            } else {
                queue(ctx, store, task);
                handedOff = true;
            }
        } catch (RejectedExecutionException e) {
            ctx.close();
        } finally {
            if (!handedOff) {
                frame.release();
            }
        }
    }

    private void register(ChannelHandlerContext ctx, ByteBuf f, long id) {
        if (store != null) {
            throw new FocProtocolException("second REGISTER on one connection");
        }
        FocProtocol.need(f, 4 + 2 + 8 + 4, "REGISTER");
        int magic = f.readInt();
        short version = f.readShort();
        if (magic != FocProtocol.MAGIC) {
            throw new FocProtocolException("REGISTER with bad magic 0x" + Integer.toHexString(magic));
        }
        long ownerEpoch = f.readLong();
        int payloadBytes = f.readInt();
        String volumeId = FocProtocol.readString(f, "REGISTER volume id");
        FocEntryFormat format = FocEntryFormat.ofProtocolVersion(version);
        if (format == null) {
            Replies.error(ctx, id, "unsupported FOC protocol version " + version + ", this server speaks "
                    + FocProtocol.SPOKEN);
            ctx.close();
            return;
        }
        try {
            FocClientConfig.checkVolumeId(volumeId);
            format.clusterSizeOf(payloadBytes);
            if (ownerEpoch < 0) {
                throw new IllegalArgumentException("ownerEpoch: must be >= 0, got " + ownerEpoch);
            }
        } catch (IllegalArgumentException e) {
            Replies.error(ctx, id, "REGISTER: " + e.getMessage());
            return;
        }
        VolumeStore s = server.store(volumeId);
        store = s;
        queue(ctx, s, () -> {
            try {
                long inForce = s.register(ownerEpoch, payloadBytes, format);
                epoch = inForce;
                Replies.registered(ctx, id, version, inForce);
                LOG.debug("FOC {} registered volume {} epoch {}", ctx.channel().remoteAddress(), volumeId, inForce);
            } catch (FocFencedException e) {
                Replies.fenced(ctx, id, e);
            } catch (IOException | RuntimeException e) {
                Replies.error(ctx, id, "REGISTER " + volumeId + ": " + e);
            }
        });
    }

    /**
     * Runs {@code task} on the volume's thread under the volume's lock; the connection's queued count
     * drops on the event loop after the replies the task wrote (Netty keeps their order), so a later
     * inline request is answered after them.
     */
    private void queue(ChannelHandlerContext ctx, VolumeStore s, Runnable task) {
        queued.incrementAndGet();
        try {
            s.executor().execute(() -> {
                s.lock().lock();
                try {
                    task.run();
                } finally {
                    s.lock().unlock();
                    try {
                        ctx.executor().execute(queued::decrementAndGet);
                    } catch (RejectedExecutionException e) {
                        queued.decrementAndGet(); // the event loop is gone, and the connection with it
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
            throw e;
        }
    }

    /** Checks the layout on the event loop; the returned task owns (and releases) {@code f}. */
    private Runnable requestTask(ChannelHandlerContext ctx, byte op, long id, ByteBuf f) {
        VolumeStore s = store;
        switch (op) {
            case FocProtocol.ADD_ENTRIES: {
                FocProtocol.need(f, 4, "ADD_ENTRIES");
                int count = f.readInt();
                if (count < 0 || count > FocProtocol.MAX_FRAME_BYTES / FocProtocol.ENTRY_HEADER_BYTES) {
                    throw new FocProtocolException("ADD_ENTRIES with bad count " + count);
                }
                return task(ctx, op, id, f, () -> {
                    int eb = FocProtocol.entryBytes(s.clusterSize());
                    if ((long) count * eb != f.readableBytes()) {
                        throw new FocProtocolException("ADD_ENTRIES of " + count + " entries of " + eb
                                + " bytes has " + f.readableBytes() + " payload bytes");
                    }
                    s.add(epoch, f.nioBuffer(), count);
                    Replies.added(ctx, id, count);
                });
            }
            case FocProtocol.FLUSH:
                return task(ctx, op, id, f, () -> {
                    s.flush(epoch);
                    Replies.ok(ctx, id);
                });
            case FocProtocol.REMOVE_UP_TO: {
                FocProtocol.need(f, 8, "REMOVE_UP_TO");
                long sco = f.readLong();
                return task(ctx, op, id, f, () -> {
                    if (!s.removeUpTo(epoch, sco)) {
                        Replies.ok(ctx, id);
                        return;
                    }
                    // the fsyncs run on the persister, so this connection's next requests need not wait for them
                    s.persister().execute(() -> {
                        try {
                            s.persistRemovals();
                            Replies.ok(ctx, id);
                        } catch (IOException | RuntimeException e) {
                            LOG.warn("FOC REMOVE_UP_TO {} on volume {} failed: {}", sco, s.volumeId(), e.toString());
                            Replies.error(ctx, id, "REMOVE_UP_TO " + sco + " on volume " + s.volumeId() + ": " + e);
                        }
                    });
                });
            }
            case FocProtocol.GET_ENTRIES:
                return task(ctx, op, id, f, () -> EntryStream.send(ctx, id, s, epoch));
            case FocProtocol.UNREGISTER:
                return task(ctx, op, id, f, () -> {
                    s.unregister(epoch);
                    Replies.ok(ctx, id);
                });
            default:
                throw new FocProtocolException("unknown request opcode " + FocProtocol.opcodeName(op));
        }
    }

    private interface Body {
        void run() throws IOException;
    }

    private Runnable task(ChannelHandlerContext ctx, byte op, long id, ByteBuf f, Body body) {
        return () -> {
            try {
                if (epoch < 0) {
                    Replies.error(ctx, id, FocProtocol.opcodeName(op) + ": the connection's REGISTER did not succeed");
                    return;
                }
                body.run();
            } catch (FocFencedException e) {
                Replies.fenced(ctx, id, e);
            } catch (FocProtocolException e) {
                LOG.warn("closing FOC connection from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
                ctx.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("FOC {} on volume {} failed: {}", FocProtocol.opcodeName(op), store.volumeId(), e.toString());
                Replies.error(ctx, id, FocProtocol.opcodeName(op) + " on volume " + store.volumeId() + ": " + e);
            } finally {
                f.release();
            }
        };
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String why = cause instanceof FocException ? cause.getMessage() : cause.toString();
        LOG.warn("closing FOC connection from {}: {}", ctx.channel().remoteAddress(), why);
        ctx.close();
    }
}
