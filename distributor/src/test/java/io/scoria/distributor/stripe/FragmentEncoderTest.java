package io.scoria.distributor.stripe;

import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.distributor.DistributorConfig;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.Policy;
import io.scoria.distributor.placement.StoreSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The streaming encoder writes byte for byte the fragments of the whole-object encoding. */
class FragmentEncoderTest {
    private static final Policy POLICY = Policy.of(4, 6).withMegaBlockSize(16384);
    private final StoreSet storeSet;

    FragmentEncoderTest() {
        List<FragmentStore> stores = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            stores.add(FragmentStore.of("s" + i, new InMemoryObjectStore("m" + i)));
        }
        storeSet = new StoreSet(DistributorConfig.of(stores, POLICY));
    }

    @AfterEach
    void close() {
        storeSet.close();
    }

    /** Fragments as the format defines them: payload per fragment (zero padded), parity, then framed. */
    private byte[][] reference(byte[] object) {
        StripeLayout layout = new StripeLayout(object.length, 4, POLICY.megaBlockSize());
        int fl = (int) layout.fragmentLength();
        byte[][] payload = new byte[6][fl];
        for (long s = 0; s < layout.stripes(); s++) {
            int b = layout.blockSize(s);
            for (int i = 0; i < 4; i++) {
                long from = layout.stripeStart(s) + (long) i * b;
                int n = (int) Math.max(0, Math.min(b, object.length - from));
                System.arraycopy(object, (int) Math.min(from, object.length), payload[i], (int) layout.fragmentStart(s), n);
            }
        }
        ByteBuffer[] data = new ByteBuffer[4];
        ByteBuffer[] parity = new ByteBuffer[2];
        for (int i = 0; i < 6; i++) {
            if (i < 4) {
                data[i] = ByteBuffer.wrap(payload[i]);
            } else {
                parity[i - 4] = ByteBuffer.wrap(payload[i]);
            }
        }
        storeSet.codec(4, 6).encode(data, parity);
        byte[][] framed = new byte[6][];
        for (int i = 0; i < 6; i++) {
            framed[i] = StripeLayout.frame(payload[i], 0, fl);
        }
        return framed;
    }

    private static void assertSame(byte[][] expected, FragmentEncoder.Fragments actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            ByteBuffer f = actual.fragment(i);
            byte[] got = new byte[f.remaining()];
            f.get(got);
            assertArrayEquals(expected[i], got, what + ", fragment " + i);
            assertEquals(StripeLayout.crc32c(expected[i], 0, expected[i].length), actual.crc(i), what + ", CRC of " + i);
        }
    }

    @Test
    void buffersAndFilesEncodeLikeTheWholeObjectAcrossSizesAndReusedBuffers(@TempDir Path dir) throws IOException {
        FragmentEncoder encoder = new FragmentEncoder(storeSet);
        Random random = new Random(7);
        // shrinking and growing sizes, so reused buffers hold older, longer content
        for (int size : new int[] {200_000, 1, 65_536, 65_537, 4096 * 4 + 100, 131_072 + 4095, 63, 200_000}) {
            byte[] object = new byte[size];
            random.nextBytes(object);
            byte[][] expected = reference(object);
            ByteBuffer src = ByteBuffer.allocate(size + 10).position(5);
            src.put(object).flip().position(5);
            try (FragmentEncoder.Fragments f = encoder.encode(FragmentEncoder.Source.of(src), size, POLICY)) {
                assertSame(expected, f, "buffer of " + size);
            }
            assertEquals(5, src.position());
            Path file = dir.resolve("object-" + size);
            Files.write(file, object);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                 FragmentEncoder.Fragments f = encoder.encode(FragmentEncoder.Source.of(ch, file), size, POLICY)) {
                assertSame(expected, f, "file of " + size);
            }
        }
    }

    @Test
    void aFileShorterThanItsSizeIsAnErrorNotZeros(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("short");
        Files.write(file, new byte[1000]);
        FragmentEncoder encoder = new FragmentEncoder(storeSet);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class,
                    () -> encoder.encode(FragmentEncoder.Source.of(ch, file), 5000, POLICY));
            assertEquals(true, e.getCause().getMessage().contains("shrank"), e.getCause().getMessage());
        }
    }
}
