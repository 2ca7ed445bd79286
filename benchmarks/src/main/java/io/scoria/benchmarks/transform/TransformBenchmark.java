package io.scoria.benchmarks.transform;

import com.github.luben.zstd.Zstd;
import io.scoria.backend.fs.FsObjectStore;
import io.scoria.backend.fs.FsStoreConfig;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.NamespaceKeys;
import io.scoria.backend.transform.ObjectTransforms;
import io.scoria.backend.transform.TransformPolicy;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
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
import org.openjdk.jmh.annotations.Warmup;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Compression and encryption of one 4 MiB SCO in 64 KiB chunks, as the transform layer does it,
 * on one thread: {@code mixed} content (4 KiB blocks of zeros, text and random bytes in turn, what
 * VM disks hold) and pure {@code random} content. The primitives (lz4, zstd level 1, AES-256-GCM of
 * the JDK) side by side, then the whole codec ({@link ObjectTransforms}: header, index, raw fallback,
 * per-object key derivation). Throughput is SCOs per second; times 4 MiB gives bytes per second of
 * plaintext. The setup prints the compressed sizes. Fixed seeds.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class TransformBenchmark {
    static final int SCO = 4 << 20;
    static final int CHUNK = 64 << 10;
    static final int CHUNKS = SCO / CHUNK;
    private static final byte[] TEXT = ("The quick brown fox jumps over the lazy dog; /var/log/syslog: kernel: "
            + "eth0 link up 1000Mbps full duplex\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Param({"mixed", "random"})
    public String content;

    private final LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
    private final LZ4SafeDecompressor unlz4 = LZ4Factory.fastestInstance().safeDecompressor();
    private byte[] plain;
    private byte[][] lz4Chunks;
    private int[] lz4Lengths;
    private byte[][] zstdChunks;
    private int[] zstdLengths;
    private byte[][] sealedChunks;
    private byte[] out;
    private SecretKeySpec aesKey;
    private Cipher gcm;
    private NamespaceKeys lz4Aes;
    private ByteBuffer lz4AesStored;
    private int nextNonce;

    static byte[] content(String kind, int size, long seed) {
        byte[] b = new byte[size];
        Random r = new Random(seed);
        if (kind.equals("random")) {
            r.nextBytes(b);
            return b;
        }
        byte[] rnd = new byte[4096];
        for (int at = 0, block = 0; at < size; at += 4096, block++) {
            switch (block % 3) {
                case 0 -> { }
                case 1 -> {
                    for (int i = 0; i < 4096; i++) {
                        b[at + i] = TEXT[(at + i) % TEXT.length];
                    }
                }
                default -> {
                    r.nextBytes(rnd);
                    System.arraycopy(rnd, 0, b, at, 4096);
                }
            }
        }
        return b;
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        plain = content(content, SCO, 42);
        out = new byte[Math.max(lz4.maxCompressedLength(CHUNK), (int) Zstd.compressBound(CHUNK)) + 16];
        lz4Chunks = new byte[CHUNKS][];
        lz4Lengths = new int[CHUNKS];
        zstdChunks = new byte[CHUNKS][];
        zstdLengths = new int[CHUNKS];
        sealedChunks = new byte[CHUNKS][];
        byte[] key = new byte[32];
        new Random(7).nextBytes(key);
        aesKey = new SecretKeySpec(key, "AES");
        gcm = Cipher.getInstance("AES/GCM/NoPadding");
        long lz4Total = 0;
        long zstdTotal = 0;
        for (int i = 0; i < CHUNKS; i++) {
            lz4Chunks[i] = new byte[lz4.maxCompressedLength(CHUNK)];
            lz4Lengths[i] = lz4.compress(plain, i * CHUNK, CHUNK, lz4Chunks[i], 0);
            zstdChunks[i] = new byte[(int) Zstd.compressBound(CHUNK)];
            zstdLengths[i] = (int) Zstd.compressByteArray(zstdChunks[i], 0, zstdChunks[i].length, plain, i * CHUNK, CHUNK, 1);
            lz4Total += lz4Lengths[i];
            zstdTotal += zstdLengths[i];
            gcm.init(Cipher.ENCRYPT_MODE, aesKey, nonce(1000 + i));
            sealedChunks[i] = gcm.doFinal(plain, i * CHUNK, CHUNK);
        }
        Path ringDir = Files.createTempDirectory("scoria-bench-ring");
        KeyRing ring = new KeyRing(new FsObjectStore(new FsStoreConfig(ringDir)), KeyRing.DEFAULT_NAMESPACE,
                KeyEncryptionKey.random(), List.of());
        lz4Aes = ring.create("bench", TransformPolicy.parse("lz4+aes-256-gcm"));
        lz4AesStored = ObjectTransforms.encode(lz4Aes, "bench", "sco/1", ByteBuffer.wrap(plain));
        NamespaceKeys zstd = new NamespaceKeys(TransformPolicy.parse("zstd:1"), null);
        long codecZstd = ObjectTransforms.encode(zstd, "bench", "sco/1", ByteBuffer.wrap(plain)).remaining();
        System.out.printf("%n[sizes] %s 4 MiB SCO: lz4 chunks %d bytes (%.1f%%), zstd:1 chunks %d bytes (%.1f%%), "
                        + "lz4+aes-256-gcm object %d bytes, zstd:1 object %d bytes%n", content, lz4Total,
                100.0 * lz4Total / SCO, zstdTotal, 100.0 * zstdTotal / SCO, lz4AesStored.remaining(), codecZstd);
    }

    private static GCMParameterSpec nonce(int chunk) {
        return new GCMParameterSpec(128, ByteBuffer.allocate(12).putInt(0).putLong(chunk).array());
    }

    @Benchmark
    public int lz4Compress() {
        int total = 0;
        for (int i = 0; i < CHUNKS; i++) {
            total += lz4.compress(plain, i * CHUNK, CHUNK, out, 0);
        }
        return total;
    }

    @Benchmark
    public int lz4Decompress() {
        int total = 0;
        for (int i = 0; i < CHUNKS; i++) {
            total += unlz4.decompress(lz4Chunks[i], 0, lz4Lengths[i], out, 0, CHUNK);
        }
        return total;
    }

    @Benchmark
    public long zstd1Compress() {
        long total = 0;
        for (int i = 0; i < CHUNKS; i++) {
            total += Zstd.compressByteArray(out, 0, out.length, plain, i * CHUNK, CHUNK, 1);
        }
        return total;
    }

    @Benchmark
    public long zstd1Decompress() {
        long total = 0;
        for (int i = 0; i < CHUNKS; i++) {
            total += Zstd.decompressByteArray(out, 0, CHUNK, zstdChunks[i], 0, zstdLengths[i]);
        }
        return total;
    }

    @Benchmark
    public int aesGcmEncrypt() throws Exception {
        int total = 0;
        for (int i = 0; i < CHUNKS; i++) {
            gcm.init(Cipher.ENCRYPT_MODE, aesKey, nonce(++nextNonce + 1_000_000));
            total += gcm.doFinal(plain, i * CHUNK, CHUNK, out, 0);
        }
        return total;
    }

    @Benchmark
    public int aesGcmDecrypt() throws Exception {
        int total = 0;
        for (int i = 0; i < CHUNKS; i++) {
            gcm.init(Cipher.DECRYPT_MODE, aesKey, nonce(1000 + i));
            total += gcm.doFinal(sealedChunks[i], 0, sealedChunks[i].length, out, 0);
        }
        return total;
    }

    @Benchmark
    public ByteBuffer codecLz4AesEncode() {
        return ObjectTransforms.encode(lz4Aes, "bench", "sco/1", ByteBuffer.wrap(plain));
    }

    @Benchmark
    public ByteBuffer codecLz4AesDecode() {
        return ObjectTransforms.decode(lz4Aes, "bench", "sco/1", lz4AesStored);
    }
}
