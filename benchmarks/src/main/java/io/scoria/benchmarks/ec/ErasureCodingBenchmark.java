package io.scoria.benchmarks.ec;

import com.backblaze.erasure.ReedSolomon;
import io.scoria.distributor.ec.ErasureCodec;
import io.scoria.distributor.ec.ScalarReedSolomon;
import io.scoria.distributor.ec.VectorReedSolomon;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Encode and decode-with-maximum-erasures of one stripe of {@code blockSize} mega-blocks,
 * single thread, for our vector codec, our scalar codec and Backblaze's JavaReedSolomon in the
 * same run. One operation = one stripe; data throughput = ops/s x data fragments x blockSize
 * ({@link EcTable} prints it). Decode erases the first (Y-X) data fragments, the worst case
 * for a systematic code, and every implementation rebuilds exactly those.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Threads(1)
public class ErasureCodingBenchmark {

    @Param({"4+2", "8+3", "10+4"})
    public String policy;

    @Param({"vector", "scalar", "backblaze"})
    public String impl;

    @Param({"1048576"})
    public int blockSize;

    private int data;
    private int total;
    private byte[][] shards;
    private ByteBuffer[] dataBuffers;
    private ByteBuffer[] parityBuffers;
    private ByteBuffer[] decodeBuffers;
    private boolean[] present;
    private boolean[] presentCopy;
    private ErasureCodec codec;
    private ReedSolomon backblaze;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = policy.split("\\+");
        data = Integer.parseInt(parts[0]);
        total = data + Integer.parseInt(parts[1]);
        Random random = new Random(20240601L);
        shards = new byte[total][blockSize];
        for (int i = 0; i < data; i++) {
            random.nextBytes(shards[i]);
        }
        dataBuffers = new ByteBuffer[data];
        parityBuffers = new ByteBuffer[total - data];
        decodeBuffers = new ByteBuffer[total];
        for (int i = 0; i < total; i++) {
            ByteBuffer b = ByteBuffer.wrap(shards[i]);
            if (i < data) {
                dataBuffers[i] = b;
            } else {
                parityBuffers[i - data] = b;
            }
            decodeBuffers[i] = b;
        }
        switch (impl) {
            case "vector" -> codec = new VectorReedSolomon(data, total);
            case "scalar" -> codec = new ScalarReedSolomon(data, total);
            case "backblaze" -> backblaze = ReedSolomon.create(data, total - data);
            default -> throw new IllegalArgumentException("impl must be vector, scalar or backblaze: " + impl);
        }
        encode();
        present = new boolean[total];
        for (int i = 0; i < total; i++) {
            present[i] = i >= total - data;
        }
        presentCopy = present.clone();
    }

    @Benchmark
    public byte[][] encode() {
        if (codec != null) {
            codec.encode(dataBuffers, parityBuffers);
        } else {
            backblaze.encodeParity(shards, 0, blockSize);
        }
        return shards;
    }

    @Benchmark
    public void decode(Blackhole bh) {
        if (codec != null) {
            codec.reconstruct(decodeBuffers, present);
        } else {
            System.arraycopy(present, 0, presentCopy, 0, total);
            backblaze.decodeMissing(shards, presentCopy, 0, blockSize);
        }
        bh.consume(shards);
    }
}
