package io.scoria.it.crash;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a crash test knows about a range of 4 KiB blocks: per block the version of its last
 * acknowledged write (0: zeros) and of a write in flight when the router died (0: none). Block
 * contents are a pure function of (block, version), so a read proves which write survived.
 * Thread-safe for one writer thread and one reply thread (each block has at most one write in flight).
 */
final class AckLog {
    static final int BS = 4096;
    final long[] acked;
    final long[] inFlight;
    private long nextVersion;
    volatile long ackedWrites;

    AckLog(int blocks) {
        this(blocks, 1);
    }

    /**
     * A log whose writes take versions from {@code firstVersion} on: logs of different volumes given
     * disjoint version ranges write different contents, so a volume that read another's data fails the check.
     */
    AckLog(int blocks, long firstVersion) {
        if (firstVersion < 1) {
            throw new IllegalArgumentException("versions start at 1 or above: " + firstVersion);
        }
        acked = new long[blocks];
        inFlight = new long[blocks];
        nextVersion = firstVersion;
    }

    int blocks() {
        return acked.length;
    }

    synchronized long nextVersion() {
        return nextVersion++;
    }

    static void fill(ByteBuffer b, long block, long version) {
        for (int i = 0; i < BS; i += 8) {
            b.putLong(b.position() + i, version == 0 ? 0 : (block * 0x9E3779B97F4A7C15L) ^ (version * 0xC2B2AE3D27D4EB4FL) ^ i);
        }
    }

    static boolean matches(ByteBuffer b, int at, long block, long version) {
        for (int i = 0; i < BS; i += 8) {
            long want = version == 0 ? 0 : (block * 0x9E3779B97F4A7C15L) ^ (version * 0xC2B2AE3D27D4EB4FL) ^ i;
            if (b.getLong(at + i) != want) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks block {@code block} read as {@code data[at..at+4096)}: it must hold its last acknowledged
     * version, or the version that was in flight. Adopts what it found. Returns false on a mismatch.
     */
    synchronized boolean check(int block, ByteBuffer data, int at) {
        boolean ok = matches(data, at, block, acked[block]);
        if (!ok && inFlight[block] != 0 && matches(data, at, block, inFlight[block])) {
            acked[block] = inFlight[block];
            ok = true;
        }
        inFlight[block] = 0;
        return ok;
    }

    /** Waits until {@code target} writes in all were acknowledged; fails naming {@code what} after 60 s. */
    void awaitAcked(long target, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (ackedWrites < target) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": only " + ackedWrites + " of " + target + " writes acknowledged within 60 s");
            }
            Thread.sleep(5);
        }
    }

    synchronized void clearInFlight() {
        Arrays.fill(inFlight, 0);
    }
}
