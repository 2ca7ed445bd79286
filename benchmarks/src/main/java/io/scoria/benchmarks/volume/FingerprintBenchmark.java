package io.scoria.benchmarks.volume;

import io.scoria.accelerator.dedup.Fingerprinter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * XXH3-128 of one 4 KiB cluster from a direct buffer: the write path's fingerprint
 * ({@link Fingerprinter#XXH3_128}, vector XXH3 where the JVM allows) versus its peer, plain
 * zero-allocation-hashing ({@link Fingerprinter#XXH3_128_SCALAR}), in the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class FingerprintBenchmark {
    private final ByteBuffer cluster = ByteBuffer.allocateDirect(4096);
    private final long[] out = new long[2];

    @Setup
    public void setUp() {
        for (int i = 0; i < 4096; i += 8) {
            cluster.putLong(i, i * 0x9E3779B97F4A7C15L);
        }
    }

    @Benchmark
    public long chosen() {
        cluster.putLong(0, out[0]);
        Fingerprinter.XXH3_128.fingerprint(cluster, out);
        return out[1];
    }

    @Benchmark
    public long scalarPeer() {
        cluster.putLong(0, out[0]);
        Fingerprinter.XXH3_128_SCALAR.fingerprint(cluster, out);
        return out[1];
    }
}
