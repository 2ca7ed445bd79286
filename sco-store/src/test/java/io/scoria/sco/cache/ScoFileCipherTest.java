package io.scoria.sco.cache;

import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.FlashKey;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.ScoFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static io.scoria.backend.testing.ByteSearch.contains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Local SCO files of encrypted volumes (FORMATS.md, "Local SCO files of encrypted volumes"). */
class ScoFileCipherTest {
    private static final int CLUSTER = 4096;
    private static final byte[] NEEDLE = "plaintext of cluster ".getBytes(StandardCharsets.US_ASCII);
    private static final long SCO = ClusterLocation.of(7, 0, 0, 0);

    @TempDir
    Path dir;

    private final TransformingObjectStore store = new TransformingObjectStore(new InMemoryObjectStore(),
            new KeyRing(new InMemoryObjectStore(), KeyRing.DEFAULT_NAMESPACE, KeyEncryptionKey.random(), List.of()), null,
            TransformPolicy.NONE);

    private ScoFileCipher cipher(String volume) {
        store.createNamespace(volume, TransformPolicy.parse("none+aes-256-gcm"));
        FlashKey key = store.flashKey(volume).orElseThrow();
        assertFalse(key.toString().contains(java.util.HexFormat.of().formatHex(key.aesKey().getEncoded())));
        return new ScoFileCipher(key);
    }

    private static byte[] cluster(int i) {
        byte[] b = new byte[CLUSTER];
        byte[] text = ("plaintext of cluster " + i + "; ").getBytes(StandardCharsets.US_ASCII);
        for (int p = 0; p < CLUSTER; p++) {
            b[p] = text[p % text.length];
        }
        return b;
    }

    private static byte[] clusters(int from, int count) {
        ByteBuffer all = ByteBuffer.allocate(count * CLUSTER);
        for (int i = from; i < from + count; i++) {
            all.put(cluster(i));
        }
        return all.array();
    }

    private static long salt(Path f) throws Exception {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, 24);
            return b.flip().getLong();
        }
    }

    private static byte[] readCluster(OpenSco sco, int offset) {
        ByteBuffer b = ByteBuffer.allocateDirect(CLUSTER);
        sco.read(offset, b);
        byte[] out = new byte[CLUSTER];
        b.flip().get(out);
        return out;
    }

    @Test
    void appendedClustersAreEncryptedOnFlashAndReadBackInTheClear() throws Exception {
        ScoFileCipher c = cipher("vol");
        Path f = dir.resolve("vol").resolve("00000007.00.sco");
        byte[] plain = clusters(0, 5);
        int crc;
        try (OpenSco sco = OpenSco.create(f, SCO, CLUSTER, 16, c)) {
            sco.append(ByteBuffer.wrap(plain, 0, CLUSTER).slice());
            ByteBuffer run = ByteBuffer.allocateDirect(4 * CLUSTER).put(plain, CLUSTER, 4 * CLUSTER).flip();
            assertEquals(1, sco.append(run, 4));
            assertEquals(0, run.position(), "the caller's buffer is left as it was");
            byte[] after = new byte[4 * CLUSTER];
            run.duplicate().get(after);
            assertArrayEquals(java.util.Arrays.copyOfRange(plain, CLUSTER, 5 * CLUSTER), after, "and its bytes unchanged");
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(cluster(i), readCluster(sco, i), "cluster " + i);
            }
            crc = sco.seal();
        }
        assertEquals(OpenSco.checksum(ByteBuffer.wrap(plain)), crc, "the seal's CRC32C is the plaintext's");
        byte[] onFlash = Files.readAllBytes(f);
        assertEquals(ScoFileCipher.HEADER_BYTES + plain.length, onFlash.length);
        assertEquals("SCOE", new String(onFlash, 0, 4, StandardCharsets.US_ASCII));
        assertFalse(contains(onFlash, NEEDLE), "the file holds no plaintext");

        SealedScoFile.verify(f, SCO, plain.length, crc, c);
        assertEquals(ByteBuffer.wrap(plain), SealedScoFile.readContent(f, SCO, plain.length, c));
        assertEquals(plain.length, SealedScoFile.contentBytes(f, SCO, c));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(CLUSTER);
            assertTrue(c.readData(ch, f, SCO, 3L * CLUSTER, one));
            assertArrayEquals(cluster(3), one.array(), "a random cluster read decrypts alone");
            assertFalse(c.readData(ch, f, ClusterLocation.of(8, 0, 0, 0), 0, one.clear()),
                    "a file that is another SCO's (recycled under the reader) is not read");
            assertFalse(c.readData(ch, f, SCO, 5L * CLUSTER, one.clear()), "past the end");
        }
    }

    @Test
    void everyNewFileOfTheSameScoHasItsOwnKeyStream() throws Exception {
        ScoFileCipher c = cipher("vol");
        Path a = dir.resolve("a.sco");
        Path b = dir.resolve("b.sco");
        for (Path f : List.of(a, b)) {
            try (OpenSco sco = OpenSco.create(f, SCO, CLUSTER, 4, c)) {
                sco.append(ByteBuffer.wrap(cluster(1)));
                sco.seal();
            }
        }
        assertNotEquals(salt(a), salt(b));
        byte[] ca = Files.readAllBytes(a);
        byte[] cb = Files.readAllBytes(b);
        int differing = 0;
        for (int i = ScoFileCipher.HEADER_BYTES; i < ca.length; i++) {
            differing += ca[i] != cb[i] ? 1 : 0;
        }
        assertTrue(differing > CLUSTER / 2, "the same SCO number written twice is encrypted under two key streams");
    }

    @Test
    void recoveryCopiesTheLoggedClustersUnderANewSaltBeforeAppendingAgain() throws Exception {
        ScoFileCipher c = cipher("vol");
        Path f = dir.resolve("vol").resolve("00000007.00.sco");
        try (OpenSco sco = OpenSco.create(f, SCO, CLUSTER, 8, c)) {
            for (int i = 0; i < 4; i++) {
                sco.append(ByteBuffer.wrap(cluster(i)));
            }
        }
        long before = salt(f);
        byte[] unloggedCipherText = java.util.Arrays.copyOfRange(Files.readAllBytes(f),
                ScoFileCipher.HEADER_BYTES + 3 * CLUSTER, ScoFileCipher.HEADER_BYTES + 4 * CLUSTER);
        // the TLog logged 3 of the 4 clusters: the 4th was written, never acknowledged, and is cut off
        try (OpenSco sco = OpenSco.recover(f, SCO, CLUSTER, 8, 3, c)) {
            assertNotEquals(before, salt(f), "appends after a restart never reuse the crashed file's key stream");
            assertFalse(Files.exists(f.resolveSibling(f.getFileName() + ".rekey")));
            assertEquals(3, sco.append(ByteBuffer.wrap(cluster(9))));
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(cluster(i), readCluster(sco, i));
            }
            assertArrayEquals(cluster(9), readCluster(sco, 3));
            int crc = sco.seal();
            byte[] expected = new byte[4 * CLUSTER];
            System.arraycopy(clusters(0, 3), 0, expected, 0, 3 * CLUSTER);
            System.arraycopy(cluster(9), 0, expected, 3 * CLUSTER, CLUSTER);
            assertEquals(OpenSco.checksum(ByteBuffer.wrap(expected)), crc);
        }
        byte[] now = Files.readAllBytes(f);
        byte[] x = new byte[CLUSTER];
        for (int i = 0; i < CLUSTER; i++) {
            x[i] = (byte) (unloggedCipherText[i] ^ now[ScoFileCipher.HEADER_BYTES + 3 * CLUSTER + i]);
        }
        byte[] plainXor = new byte[CLUSTER];
        for (int i = 0; i < CLUSTER; i++) {
            plainXor[i] = (byte) (cluster(3)[i] ^ cluster(9)[i]);
        }
        assertFalse(java.util.Arrays.equals(plainXor, x), "the two ciphertexts at one position do not XOR to the plaintexts' XOR");
    }

    @Test
    void aFileOfAnotherVolumesKeyIsRefusedNamingTheVolumeNotTheKey() throws Exception {
        ScoFileCipher mine = cipher("mine");
        ScoFileCipher other = cipher("other");
        Path f = dir.resolve("x.sco");
        int crc;
        try (OpenSco sco = OpenSco.create(f, SCO, CLUSTER, 4, other)) {
            sco.append(ByteBuffer.wrap(cluster(0)));
            crc = sco.seal();
        }
        ScoFormatException e = assertThrows(ScoFormatException.class, () -> SealedScoFile.verify(f, SCO, CLUSTER, crc, mine));
        assertTrue(e.getMessage().contains("volume 'mine'") && e.getMessage().contains(f.toString()), e.getMessage());
        assertThrows(ScoFormatException.class, () -> OpenSco.recover(f, SCO, CLUSTER, 4, 1, mine));
        SealedScoFile.verify(f, SCO, CLUSTER, crc, other);
    }

    @Test
    void aDamagedClusterFailsTheSealCheck() throws Exception {
        ScoFileCipher c = cipher("vol");
        Path f = dir.resolve("x.sco");
        int crc;
        try (OpenSco sco = OpenSco.create(f, SCO, CLUSTER, 4, c)) {
            sco.append(ByteBuffer.wrap(cluster(0)));
            sco.append(ByteBuffer.wrap(cluster(1)));
            crc = sco.seal();
        }
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(ScoFileCipher.HEADER_BYTES + CLUSTER + 100);
            raf.write(raf.read() ^ 1);
        }
        assertThrows(ScoFormatException.class, () -> SealedScoFile.verify(f, SCO, 2 * CLUSTER, crc, c));
    }

    @Test
    void aFileWrittenInTheClearBeforeLocalEncryptionStaysReadable() throws Exception {
        ScoFileCipher c = cipher("vol");
        Path f = dir.resolve("old.sco");
        byte[] plain = clusters(0, 2);
        int crc;
        try (OpenSco sco = OpenSco.create(f, SCO, CLUSTER, 4)) {
            sco.append(ByteBuffer.wrap(plain), 2);
            crc = sco.seal();
        }
        assertArrayEquals(plain, Files.readAllBytes(f), "without a cipher the layout is the old one");
        SealedScoFile.verify(f, SCO, plain.length, crc, c);
        assertEquals(ByteBuffer.wrap(plain), SealedScoFile.readContent(f, SCO, plain.length, c));
        try (OpenSco sco = OpenSco.recover(f, SCO, CLUSTER, 4, 2, c)) {
            sco.append(ByteBuffer.wrap(cluster(5)));
            assertArrayEquals(cluster(5), readCluster(sco, 2), "an old clear open SCO goes on in the clear");
        }
    }
}
