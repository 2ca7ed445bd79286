package io.scoria.it.crash;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal NBD client (fixed newstyle, NBD_OPT_EXPORT_NAME, simple replies) that drives a
 * random 4 KiB write load with {@code depth} requests in flight and records every acknowledged
 * write in an {@link AckLog}; it also reads a range back and issues FLUSH. One thread sends, one
 * receives. A dropped connection (the router was killed) ends the load; what was in flight stays
 * "in flight" in the log.
 */
final class NbdLoad implements AutoCloseable {
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int REPLY_MAGIC = 0x67446698;
    private static final int CMD_READ = 0;
    private static final int CMD_WRITE = 1;
    private static final int CMD_FLUSH = 3;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    final long exportSize;
    private final ConcurrentHashMap<Long, long[]> pending = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong();
    volatile Throwable replyFailure;
    volatile long errorReplies;
    /** {@link System#nanoTime()} of the first and of the last acknowledged write on this connection (0: none yet). */
    volatile long firstAckNanos;
    volatile long lastAckNanos;
    private volatile boolean sending;

    NbdLoad(int port, String export) throws IOException {
        this("127.0.0.1", port, export);
    }

    NbdLoad(String host, int port, String export) throws IOException {
        socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(120_000);
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        if (in.readLong() != 0x4e42444d41474943L || in.readLong() != 0x49484156454F5054L) {
            throw new IOException("not an NBD server");
        }
        int serverFlags = in.readUnsignedShort();
        out.writeInt(1 | ((serverFlags & 2) != 0 ? 2 : 0));
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        out.writeLong(0x49484156454F5054L);
        out.writeInt(1);
        out.writeInt(name.length);
        out.write(name);
        out.flush();
        exportSize = in.readLong();
        in.readUnsignedShort();
        if ((serverFlags & 2) == 0) {
            in.skipNBytes(124);
        }
    }

    private synchronized void send(int type, long cookie, long offset, int length, ByteBuffer data) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt(length);
        if (data != null) {
            out.write(data.array(), data.arrayOffset(), length);
        }
        out.flush();
    }

    /**
     * Random writes over the log's blocks until {@code stop} says so or the connection drops;
     * returns the number of acknowledged writes.
     */
    long randomWrites(AckLog log, int depth, long seed, java.util.function.BooleanSupplier stop) throws Exception {
        Semaphore slots = new Semaphore(depth);
        Random rnd = new Random(seed);
        ByteBuffer buf = ByteBuffer.allocate(AckLog.BS);
        long before = log.ackedWrites;
        sending = true;
        Thread reader = new Thread(() -> readReplies(log, slots), "nbd-replies");
        reader.start();
        try {
            while (!stop.getAsBoolean() && reader.isAlive()) {
                if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                int block;
                do {
                    block = rnd.nextInt(log.blocks());
                } while (log.inFlight[block] != 0);
                long v = log.nextVersion();
                synchronized (log) {
                    log.inFlight[block] = v;
                }
                long cookie = cookies.incrementAndGet();
                pending.put(cookie, new long[]{block, v});
                buf.clear();
                AckLog.fill(buf, block, v);
                try {
                    send(CMD_WRITE, cookie, (long) block * AckLog.BS, AckLog.BS, buf);
                } catch (IOException e) {
                    break; // router gone
                }
            }
            // drain: every write sent gets its reply, unless the connection is gone
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (reader.isAlive() && !slots.tryAcquire(depth, 100, TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("writes not acknowledged within 60 s");
                }
            }
            if (reader.isAlive()) {
                slots.release(depth);
            }
        } finally {
            sending = false;
            reader.join(60_000);
        }
        if (replyFailure != null) {
            throw new AssertionError("bad NBD reply", replyFailure);
        }
        return log.ackedWrites - before;
    }

    private void readReplies(AckLog log, Semaphore slots) {
        try {
            while (true) {
                if (pending.isEmpty()) {
                    if (!sending) {
                        return;
                    }
                    Thread.sleep(1);
                    continue;
                }
                int magic = in.readInt();
                int error = in.readInt();
                long cookie = in.readLong();
                if (magic != REPLY_MAGIC) {
                    throw new IOException("bad reply magic " + Integer.toHexString(magic));
                }
                long[] w = pending.remove(cookie);
                if (w == null) {
                    throw new IOException("reply to unknown cookie " + cookie);
                }
                if (error == 0) {
                    long now = System.nanoTime();
                    if (firstAckNanos == 0) {
                        firstAckNanos = now;
                    }
                    lastAckNanos = now;
                    synchronized (log) {
                        log.acked[(int) w[0]] = w[1];
                        log.inFlight[(int) w[0]] = 0;
                    }
                    log.ackedWrites++;
                } else {
                    errorReplies++;
                }
                slots.release();
            }
        } catch (EOFException | java.net.SocketException e) {
            // router killed: what is pending stays in flight
        } catch (Throwable t) {
            replyFailure = t;
        }
    }

    /** What the client knows of its connection, for a failure message. */
    String state() {
        return "requests pending " + pending.size() + ", socket closed " + socket.isClosed() + ", input shut down "
                + socket.isInputShutdown() + ", error replies " + errorReplies + ", reply failure " + replyFailure;
    }

    /**
     * Writes every block of the log once with a new version, {@code blocksPerWrite} blocks per NBD
     * write, one write at a time, and records each acknowledged one. Only when no load is running.
     */
    void fill(AckLog log, int blocksPerWrite) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(blocksPerWrite * AckLog.BS);
        long[] versions = new long[blocksPerWrite];
        for (int first = 0; first < log.blocks(); first += blocksPerWrite) {
            int n = Math.min(blocksPerWrite, log.blocks() - first);
            for (int i = 0; i < n; i++) {
                versions[i] = log.nextVersion();
                b.position(i * AckLog.BS);
                AckLog.fill(b, first + i, versions[i]);
            }
            b.position(0);
            send(CMD_WRITE, 0, (long) first * AckLog.BS, n * AckLog.BS, b);
            int error = simpleReply(0);
            if (error != 0) {
                throw new IOException("WRITE at block " + first + " failed with NBD error " + error);
            }
            synchronized (log) {
                for (int i = 0; i < n; i++) {
                    log.acked[first + i] = versions[i];
                }
            }
            log.ackedWrites += n;
        }
    }

    /** FLUSH; returns when the reply arrived (with its error code). Only when no load is running. */
    int flush() throws IOException {
        send(CMD_FLUSH, 0, 0, 0, null);
        return simpleReply(0);
    }

    private int simpleReply(long cookie) throws IOException {
        if (in.readInt() != REPLY_MAGIC) {
            throw new IOException("bad reply magic");
        }
        int error = in.readInt();
        if (in.readLong() != cookie) {
            throw new IOException("reply to an unexpected cookie");
        }
        return error;
    }

    /** Reads every block of the log back and checks it; returns the number of mismatching blocks. */
    long verify(AckLog log, StringBuilder firstErrors) throws IOException {
        int chunk = 256;
        ByteBuffer b = ByteBuffer.allocate(chunk * AckLog.BS);
        long bad = 0;
        for (int first = 0; first < log.blocks(); first += chunk) {
            int n = Math.min(chunk, log.blocks() - first);
            send(CMD_READ, 0, (long) first * AckLog.BS, n * AckLog.BS, null);
            int error = simpleReply(0);
            if (error != 0) {
                throw new IOException("READ at block " + first + " failed with NBD error " + error);
            }
            in.readFully(b.array(), 0, n * AckLog.BS);
            for (int i = 0; i < n; i++) {
                if (!log.check(first + i, b, i * AckLog.BS)) {
                    bad++;
                    if (firstErrors.length() < 2000) {
                        firstErrors.append("block ").append(first + i).append(" expected version ")
                                .append(log.acked[first + i]).append("; ");
                    }
                }
            }
        }
        return bad;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
