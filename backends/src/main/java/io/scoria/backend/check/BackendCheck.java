package io.scoria.backend.check;

import io.scoria.backend.BackendException;
import io.scoria.backend.ObjectStore;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * The backend self-check: writes, reads, range-reads, stats and deletes a probe object in a
 * namespace of the store, verifies every byte and prints latency and throughput per step.
 * Used by {@code scoria backend check}. Leaves no probe object behind.
 */
public final class BackendCheck {
    /** Outcome of one check run. */
    public record Result(boolean ok, String message) {
    }

    private final ObjectStore store;
    private final String namespace;
    private final int probeBytes;

    /**
     * @param namespace namespace to probe in; created when missing (and then deleted again)
     * @param probeBytes size of the probe object
     */
    public BackendCheck(ObjectStore store, String namespace, int probeBytes) {
        if (probeBytes < 4096) {
            throw new IllegalArgumentException("probeBytes must be at least 4096: " + probeBytes);
        }
        this.store = store;
        this.namespace = namespace;
        this.probeBytes = probeBytes;
    }

    /** Runs the check and prints one line per step to {@code out}; never throws for store errors. */
    public Result run(PrintStream out) {
        String key = "scoria-backend-check/probe-" + Long.toHexString(System.nanoTime());
        byte[] data = new byte[probeBytes];
        new Random(probeBytes).nextBytes(data);
        boolean created = false;
        String step = "connect";
        try {
            out.println("backend " + store.name() + ", namespace " + namespace);
            step = "create namespace";
            long t0 = System.nanoTime();
            created = store.createNamespace(namespace);
            report(out, created ? "create namespace" : "namespace exists", t0, 0);

            step = "put";
            t0 = System.nanoTime();
            store.put(namespace, key, ByteBuffer.wrap(data));
            report(out, "put " + probeBytes + " B", t0, probeBytes);

            step = "get";
            t0 = System.nanoTime();
            ByteBuffer back = store.get(namespace, key);
            report(out, "get " + probeBytes + " B", t0, probeBytes);
            byte[] got = new byte[back.remaining()];
            back.get(got);
            if (!Arrays.equals(data, got)) {
                return fail(out, store.name() + ": probe object read back different bytes than written");
            }

            step = "ranged get";
            int offset = probeBytes / 2 - 1;
            t0 = System.nanoTime();
            ByteBuffer range = store.get(namespace, key, offset, 4096);
            report(out, "ranged get 4096 B", t0, 4096);
            for (int i = 0; i < 4096; i++) {
                if (range.get(i) != data[offset + i]) {
                    return fail(out, store.name() + ": ranged read returned wrong bytes at offset " + (offset + i));
                }
            }

            step = "stat";
            t0 = System.nanoTime();
            long size = store.stat(namespace, key).size();
            report(out, "stat", t0, 0);
            if (size != probeBytes) {
                return fail(out, store.name() + ": stat reports " + size + " bytes, expected " + probeBytes);
            }

            step = "delete";
            t0 = System.nanoTime();
            store.delete(namespace, key);
            report(out, "delete", t0, 0);
            if (store.exists(namespace, key)) {
                return fail(out, store.name() + ": probe object still exists after delete");
            }
            out.println("OK");
            return new Result(true, "OK");
        } catch (BackendException | IllegalArgumentException | IllegalStateException e) {
            return fail(out, "backend check failed at " + step + ": " + e.getMessage());
        } finally {
            cleanUp(key, created);
        }
    }

    private void cleanUp(String key, boolean created) {
        try {
            store.delete(namespace, key);
            if (created) {
                store.deleteNamespace(namespace);
            }
        } catch (RuntimeException ignored) {
            // the check already failed and said why; a leftover probe is named in that message
        }
    }

    private static Result fail(PrintStream out, String message) {
        out.println("FAILED: " + message);
        return new Result(false, message);
    }

    private static void report(PrintStream out, String step, long startNanos, long bytes) {
        double ms = (System.nanoTime() - startNanos) / 1e6;
        if (bytes > 0) {
            out.printf("  %-22s %9.2f ms  %9.1f MiB/s%n", step, ms, bytes / 1048576.0 / (ms / 1000.0));
        } else {
            out.printf("  %-22s %9.2f ms%n", step, ms);
        }
    }
}
