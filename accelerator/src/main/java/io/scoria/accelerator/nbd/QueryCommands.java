package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.scoria.accelerator.Volume;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * The commands of one connection that ask about data without moving it to the client:
 * {@code NBD_CMD_BLOCK_STATUS} for {@code base:allocation} (from the volume's LBA map, see
 * {@link Volume#extents}) and {@code qemu:dirty-bitmap:SNAP} (see {@link DirtyRuns}), one reply chunk
 * per selected context, and {@code NBD_CMD_CACHE} (a prefetch through the read path, which fills the
 * node's cluster cache). Each takes a bounded amount of the connection's request data while it runs
 * ({@link #budget}): a BLOCK_STATUS reply holds at most {@link #MAX_DESCRIPTORS} descriptors per context, a
 * CACHE reads through one buffer of at most {@link #CACHE_CHUNK} bytes and prefetches at most
 * {@code maxPayload} bytes (the spec leaves how much a server caches to it).
 *
 * <p>Threads: {@link #refusal} and {@link #budget} run on the event loop; {@link #blockStatus} and
 * {@link #cache} on a worker. Buffers: the budget taken at admission is returned to the flow once the
 * reply was written (BLOCK_STATUS) or the prefetch ended, also on failure.
 */
final class QueryCommands {
    /** Most descriptors one BLOCK_STATUS reply holds (512 KiB; the spec's ceiling is 2^20). */
    static final int MAX_DESCRIPTORS = 1 << 16;
    /** Read buffer of a CACHE request. */
    static final int CACHE_CHUNK = 1 << 20;
    /** Structured reply header plus the context id. */
    private static final int STATUS_HEADER = 24;

    private final Volume volume;
    private final NbdReplies replies;
    private final RequestFlow flow;
    private final ByteBufAllocator alloc;
    private final MetaContexts contexts;
    private final DirtyRuns dirty;
    private final int maxPayload;

    /** {@code dirty} answers the dirty bitmap if {@code contexts} selects one (else null). */
    QueryCommands(Volume volume, NbdReplies replies, RequestFlow flow, ByteBufAllocator alloc, MetaContexts contexts,
                  DirtyRuns dirty, int maxPayload) {
        this.volume = volume;
        this.replies = replies;
        this.flow = flow;
        this.alloc = alloc;
        this.contexts = contexts;
        this.dirty = dirty;
        this.maxPayload = maxPayload;
    }

    static boolean isQuery(int type) {
        return type == CMD_BLOCK_STATUS || type == CMD_CACHE;
    }

    /**
     * Why the header of a BLOCK_STATUS or CACHE is refused with {@code NBD_EINVAL} (null for other
     * commands or if it is fine). {@code contexts} is how many SET_META_CONTEXT selected for this export.
     */
    static String refusal(int type, int flags, long offset, long length, long size, int contexts) {
        if (!isQuery(type)) {
            return null;
        }
        String name = NbdReplies.commandName(type);
        int allowed = type == CMD_BLOCK_STATUS ? CMD_FLAG_REQ_ONE : 0;
        if (!DataRequestCheck.validFlags(flags, allowed)) {
            return "unsupported flags 0x" + Integer.toHexString(flags) + " for " + name;
        }
        if (type == CMD_BLOCK_STATUS && contexts == 0) {
            return "BLOCK_STATUS without a metadata context selected by SET_META_CONTEXT for this export";
        }
        if (length == 0) {
            return "zero-length " + name;
        }
        return DataRequestCheck.inRange(offset, length, size) ? null : name + " past the end of the export";
    }

    /** Request data a query takes while it runs: its whole reply (a chunk per context), or its read buffer. */
    static long budget(int type, long length, int clusterSize, int contexts) {
        if (type == CMD_CACHE) {
            return Math.min(length, CACHE_CHUNK);
        }
        return (long) Math.max(1, contexts) * chunkBytes(length, clusterSize);
    }

    private static long chunkBytes(long length, int clusterSize) {
        return STATUS_HEADER + 8 * Math.min(MAX_DESCRIPTORS, length / clusterSize + 2);
    }

    /**
     * Answers a BLOCK_STATUS with one {@code NBD_REPLY_TYPE_BLOCK_STATUS} chunk per selected context
     * ({@code base:allocation} first; the last one carries {@code NBD_REPLY_FLAG_DONE}): consecutive
     * descriptors from {@code offset}, none past the requested end, each nonzero; one with
     * {@code NBD_CMD_FLAG_REQ_ONE}; at most a chunk's share of {@code budget} (the client asks again for
     * the rest). For {@code base:allocation} holes read as zeros, so they carry
     * {@code NBD_STATE_HOLE | NBD_STATE_ZERO} and data carries 0; for a dirty bitmap, changed runs carry 1.
     */
    void blockStatus(long cookie, long offset, long length, int flags, long budget) {
        int max = (int) ((chunkBytes(length, volume.clusterSize()) - STATUS_HEADER) / 8);
        boolean one = (flags & CMD_FLAG_REQ_ONE) != 0;
        ByteBuf buf = null;
        try {
            ByteBuf b = alloc.buffer((int) budget);
            buf = b;
            if (contexts.allocation()) {
                chunk(b, cookie, MetaContexts.ID_ALLOCATION, contexts.dirtySince() == null, length, one, max,
                        sink -> volume.extents(offset, length, (len, zero) -> sink.run(len, zero)),
                        zero -> zero ? STATE_HOLE | STATE_ZERO : 0);
            }
            if (contexts.dirtySince() != null) {
                chunk(b, cookie, MetaContexts.ID_DIRTY, true, length, one, max,
                        sink -> dirty.runs(offset, length, max, sink), d -> d ? MetaContexts.STATE_DIRTY : 0);
            }
        } catch (Throwable e) {
            if (buf != null) {
                buf.release();
            }
            flow.release(budget);
            throw e;
        }
        replies.sendData(buf, budget, flow::release);
    }

    /** Where a chunk's runs come from: calls the sink per run until it returns false or the source ends. */
    private interface RunSource {
        void runs(DirtyRuns.Sink sink);
    }

    private interface RunFlags {
        int of(boolean set);
    }

    /** Appends one BLOCK_STATUS chunk for context {@code id} to {@code b}. */
    private static void chunk(ByteBuf b, long cookie, int id, boolean last, long length, boolean one, int max,
                              RunSource source, RunFlags flags) {
        int start = b.writerIndex();
        b.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(last ? REPLY_FLAG_DONE : 0).writeShort(REPLY_TYPE_BLOCK_STATUS)
                .writeLong(cookie).writeInt(0).writeInt(id);
        long[] covered = {0};
        int[] count = {0};
        source.runs((len, set) -> {
            long n = Math.min(len, length - covered[0]);
            b.writeInt((int) n).writeInt(flags.of(set));
            covered[0] += n;
            count[0]++;
            return !one && covered[0] < length && count[0] < max;
        });
        b.setInt(start + 16, b.writerIndex() - start - 20);
    }

    /** Reads up to {@code maxPayload} bytes of the range through the volume's read path, then replies. */
    void cache(long cookie, long offset, long length, int chunk) {
        long end = offset + Math.min(length, maxPayload);
        ByteBuf buf = null;
        try {
            buf = alloc.directBuffer(chunk);
            for (long pos = offset; pos < end; pos += chunk) {
                int n = (int) Math.min(chunk, end - pos);
                volume.read(pos, buf.nioBuffer(0, n));
            }
        } finally {
            if (buf != null) {
                buf.release();
            }
            flow.release(chunk);
        }
        replies.ok(cookie);
    }
}
