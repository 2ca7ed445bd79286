package io.scoria.accelerator.testing;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A template filled with seeded random bytes (every cluster holds data) and a byte model of a clone
 * of it, for hydration and flatten tests: {@link #write} applies a write to the clone and the model.
 * Not thread-safe: one writer per model.
 */
public final class GoldTemplate {
    private final byte[] model;
    private final int clusterSize;

    private GoldTemplate(byte[] model, int clusterSize) {
        this.model = model;
        this.clusterSize = clusterSize;
    }

    /** Creates template {@code name} of {@code size} bytes (4 KiB clusters, 1 MiB SCOs) with snapshot "s1". */
    public static GoldTemplate create(VolumeService svc, String name, int size, long seed) {
        svc.create(name, new VolumeSpec(size, 4096, 1 << 20));
        Volume v = svc.open(name);
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        for (int off = 0; off < size; off += 1 << 20) {
            v.write(off, ByteBuffer.wrap(data, off, Math.min(1 << 20, size - off)), false);
        }
        v.snapshot("s1");
        svc.makeTemplate(name);
        return new GoldTemplate(data, 4096);
    }

    /** A model of a fresh clone: the template's bytes. */
    public GoldTemplate cloneModel() {
        return new GoldTemplate(model.clone(), clusterSize);
    }

    /**
     * Writes cluster {@code lba} of {@code clone} with bytes from {@code r}, and the same to the model;
     * writers of the same model are serialised here, so the model keeps the order of the clone's writes.
     */
    public synchronized void write(Volume clone, long lba, Random r) {
        byte[] b = new byte[clusterSize];
        r.nextBytes(b);
        clone.write(lba * clusterSize, ByteBuffer.wrap(b), false);
        System.arraycopy(b, 0, model, (int) (lba * clusterSize), clusterSize);
    }

    /** Notes that cluster {@code lba} of the clone was trimmed (reads as zeros). */
    public synchronized void zero(long lba) {
        java.util.Arrays.fill(model, (int) (lba * clusterSize), (int) ((lba + 1) * clusterSize), (byte) 0);
    }

    /** Asserts that every byte of {@code v} is the model's. */
    public synchronized void assertSame(Volume v) {
        byte[] got = new byte[model.length];
        for (int off = 0; off < model.length; off += 1 << 20) {
            int n = Math.min(1 << 20, model.length - off);
            v.read(off, ByteBuffer.wrap(got, off, n));
        }
        assertArrayEquals(model, got, "bytes of " + v.name());
    }

    public int clusters() {
        return model.length / clusterSize;
    }
}
