package io.scoria.accelerator.foc;

import io.scoria.accelerator.foc.client.FailoverCaches;
import io.scoria.accelerator.foc.client.FocClient;
import io.scoria.accelerator.foc.sealed.FocEntrySeal;
import io.scoria.accelerator.foc.sealed.SealedFailoverCache;
import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.backend.config.Secret;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.FlashKey;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.backend.transform.WrongKeyException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static io.scoria.backend.testing.ByteSearch.contains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FOC entries of an encrypted volume, with a real FOC server on loopback and a relay that keeps what
 * crossed the wire: neither the wire nor the server's files hold what the guest wrote; a new owner with
 * the volume's key replays it byte for byte, one with another data key gets a {@link WrongKeyException}
 * naming the volume, and an entry altered on the server's disk (checksum fixed up, as an attacker
 * would) is refused naming the volume and the entry. Clear entries of other volumes keep their format.
 */
class SealedFocEntriesTest extends FocLoopbackFixture {
    private static final byte[] NEEDLE = "guest secret of the FOC, ".getBytes(StandardCharsets.US_ASCII);
    private static final int ENTRIES = 12;
    /** A record in a server SCO file: magic, entry header, payload, CRC32C. */
    private static final int RECORD_HEAD = 4 + 24;

    private final InMemoryObjectStore raw = new InMemoryObjectStore();
    private final TransformingObjectStore keys = new TransformingObjectStore(raw, new KeyRing(raw,
            KeyRing.DEFAULT_NAMESPACE, KeyEncryptionKey.of(Secret.of("MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="),
            "keyEncryptionKey"), List.of()), null, TransformPolicy.NONE);

    private FlashKey newVolumeKey() {
        keys.createNamespace(VOL, TransformPolicy.parse("none+aes-256-gcm"));
        return keys.flashKey(VOL).orElseThrow();
    }

    private static ByteBuffer secret(long lba) {
        byte[] text = (new String(NEEDLE, StandardCharsets.US_ASCII) + "lba " + lba + "; ").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i++) {
            b.put(i, text[i % text.length]);
        }
        return b;
    }

    private FailoverCache sealedCache(int atPort, long epoch, FlashKey key) {
        FocClientConfig c = FocClientConfig.of("127.0.0.1:" + atPort, VOL, CS, epoch).withTimeouts(
                java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(2), java.time.Duration.ofMillis(20),
                java.time.Duration.ofMillis(200)).withEntryFormat(FocEntryFormat.SEALED);
        FailoverCache cache = new SealedFailoverCache(FailoverCaches.create(FocMode.SYNC, c), new FocEntrySeal(VOL, key, CS));
        toClose.add(cache);
        return cache;
    }

    private void writeEntries(FailoverCache cache) throws Exception {
        for (long lba = 0; lba < ENTRIES; lba++) {
            ByteBuffer b = secret(lba);
            cache.addAsync(lba, 100 + lba / 4, (int) (lba % 4) * CS, 0, b, exec).get();
            assertEquals(0, b.position(), "the caller's buffer is left as it was");
        }
        cache.flush();
    }

    private Map<Long, byte[]> replayAll(FailoverCache cache) {
        Map<Long, byte[]> m = new HashMap<>();
        cache.replay((lba, sco, off, ver, cluster) -> {
            byte[] b = new byte[cluster.remaining()];
            cluster.get(b);
            m.put(lba, b);
        });
        return m;
    }

    private List<Path> serverFiles() throws IOException {
        try (Stream<Path> s = Files.walk(dir.resolve("foc"))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private boolean serverHolds(byte[] needle) throws IOException {
        for (Path p : serverFiles()) {
            if (contains(Files.readAllBytes(p), needle)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void anEncryptedVolumesEntriesAreSealedOnTheWireAndOnTheServerAndReplayByteExact() throws Exception {
        FlashKey key = newVolumeKey();
        try (WireRelay relay = new WireRelay(port)) {
            writeEntries(sealedCache(relay.port(), 1, key));
            Map<Long, byte[]> replayed = replayAll(sealedCache(relay.port(), 2, key));
            assertEquals(ENTRIES, replayed.size());
            for (long lba = 0; lba < ENTRIES; lba++) {
                assertArrayEquals(secret(lba).array(), replayed.get(lba), "LBA " + lba + " replayed byte for byte");
            }
            String wire = relay.captured();
            assertTrue(wire.length() > 2 * ENTRIES * CS, "the relay saw the entries go and come back");
            assertFalse(wire.contains(new String(NEEDLE, StandardCharsets.ISO_8859_1)), "a cluster crossed the wire in clear");
        }
        long recordBytes = RECORD_HEAD + FocEntryFormat.SEALED.payloadBytes(CS) + 4;
        long stored = 0;
        for (Path p : serverFiles()) {
            stored += Files.size(p);
        }
        assertTrue(stored >= ENTRIES * recordBytes, "the server holds every sealed entry: " + stored + " bytes");
        assertFalse(serverHolds(NEEDLE), "a FOC server file holds a cluster in clear");
    }

    @Test
    void aNewOwnerWithAnotherDataKeyGetsAWrongKeyErrorNamingTheVolumeNotTheKey() throws Exception {
        writeEntries(sealedCache(port, 1, newVolumeKey()));
        keys.deleteNamespace(VOL);
        FlashKey other = newVolumeKey();
        Map<Long, byte[]> applied = new HashMap<>();
        WrongKeyException e = assertThrows(WrongKeyException.class, () -> sealedCache(port, 2, other).replay(
                (lba, sco, off, ver, cluster) -> applied.put(lba, new byte[0])));
        assertEquals(VOL, e.namespace());
        assertTrue(e.getMessage().contains("volume '" + VOL + "'") && e.getMessage().contains("entry 0"), e.getMessage());
        String hexKey = HexFormat.of().formatHex(other.focEntryKey().getEncoded());
        assertFalse(e.getMessage().toLowerCase().contains(hexKey.substring(0, 16)), "the message shows a key");
        assertTrue(applied.isEmpty(), "nothing of a volume with another key is replayed");
    }

    @Test
    void anEntryAlteredOnTheServersDiskWithItsChecksumFixedIsRefusedNamingTheVolumeAndTheEntry() throws Exception {
        FlashKey key = newVolumeKey();
        writeEntries(sealedCache(port, 1, key));
        restartServerAfter(() -> flipAndFixChecksum(RECORD_HEAD + 200));
        Map<Long, byte[]> applied = new HashMap<>();
        FocEntryTamperedException e = assertThrows(FocEntryTamperedException.class, () -> sealedCache(port, 2, key)
                .replay((lba, sco, off, ver, cluster) -> applied.put(lba, new byte[0])));
        assertEquals(VOL, e.volume());
        assertEquals(0, e.entryIndex());
        assertTrue(e.getMessage().contains("volume '" + VOL + "'") && e.getMessage().contains("LBA 0"), e.getMessage());
        assertTrue(applied.isEmpty(), "the altered entry was handed on as data");
    }

    @Test
    void anEntryMovedToAnotherLbaOnTheServersDiskIsRefused() throws Exception {
        FlashKey key = newVolumeKey();
        writeEntries(sealedCache(port, 1, key));
        restartServerAfter(() -> flipAndFixChecksum(4 + 7)); // the low byte of the first record's LBA: 0 -> 1
        FocEntryTamperedException e = assertThrows(FocEntryTamperedException.class,
                () -> sealedCache(port, 2, key).replay((lba, sco, off, ver, cluster) -> { }));
        assertTrue(e.getMessage().contains("LBA 1,"), e.getMessage());
    }

    @Test
    void aVolumeWithoutEncryptionKeepsItsClearEntriesByteForByte() throws Exception {
        try (WireRelay relay = new WireRelay(port)) {
            FocClient c = new FocClient(FocClientConfig.of("127.0.0.1:" + relay.port(), VOL, CS, 1));
            toClose.add(c);
            c.ackedAsync(c.append(5, 100, 3 * CS, 2, secret(5)), exec).get();
            c.flush();
            assertTrue(relay.captured().contains(new String(NEEDLE, StandardCharsets.ISO_8859_1)),
                    "control: a clear volume's cluster does cross the wire as it is");
        }
        ByteBuffer expected = ByteBuffer.allocate(RECORD_HEAD + CS + 4);
        expected.putInt(0x46435245).putLong(5).putLong(100).putInt(3 * CS).putInt(2).put(secret(5));
        CRC32C crc = new CRC32C();
        crc.update(expected.array(), 0, RECORD_HEAD + CS);
        expected.putInt((int) crc.getValue());
        byte[] file = Files.readAllBytes(scoFile());
        assertEquals(4096, ByteBuffer.wrap(file).getInt(8), "the file header's payload size is the cluster size");
        byte[] record = java.util.Arrays.copyOfRange(file, 24, 24 + expected.capacity());
        assertArrayEquals(expected.array(), record, "the record layout of clear entries is unchanged");
    }

    @Test
    void anEncryptedOwnerIsRefusedByAVolumeOfClearEntriesWithAReason() {
        FocClient c = client(1);
        c.append(1, 100, 0, 0, data(1, 0));
        c.flush();
        FocClientConfig sealed = config(2).withEntryFormat(FocEntryFormat.SEALED);
        FocException e = assertThrows(FocException.class, () -> toClose.add(new FocClient(sealed)));
        assertTrue(e.getMessage().contains("holds CLEAR entries of 4096 payload bytes")
                && e.getMessage().contains("SEALED entries of 4144"), e.getMessage());
    }

    @Test
    void aVolumeWhoseClearEntriesAreAllGoneTakesSealedOnes() throws Exception {
        FocClient c = client(1);
        c.append(1, 100, 0, 0, data(1, 0));
        c.flush();
        c.unregister();
        c.close();
        FlashKey key = newVolumeKey();
        writeEntries(sealedCache(port, 2, key));
        Map<Long, byte[]> replayed = replayAll(sealedCache(port, 3, key));
        assertEquals(ENTRIES, replayed.size());
        assertArrayEquals(secret(ENTRIES - 1).array(), replayed.get((long) ENTRIES - 1));
        assertFalse(serverHolds(NEEDLE), "a FOC server file holds a cluster in clear");
    }

    private interface DiskEdit {
        void run() throws IOException;
    }

    /** Stops the server, applies {@code edit} to its files, and starts a server on them again. */
    private void restartServerAfter(DiskEdit edit) throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        toClose.clear();
        server.close();
        edit.run();
        server = new FocServer(new InetSocketAddress("127.0.0.1", 0), dir.resolve("foc"));
        port = server.localAddress().getPort();
    }

    /** The first SCO file of the volume: the one of the lowest tag, holding LBA 0 first. */
    private Path scoFile() throws IOException {
        return serverFiles().stream().filter(p -> p.getFileName().toString().startsWith("sco-"))
                .sorted().findFirst().orElseThrow();
    }

    /** Flips the lowest bit of byte {@code at} of the first record of the first SCO file and fixes its CRC32C. */
    private void flipAndFixChecksum(int at) throws IOException {
        int payload = FocEntryFormat.SEALED.payloadBytes(CS);
        try (FileChannel ch = FileChannel.open(scoFile(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer rec = ByteBuffer.allocate(RECORD_HEAD + payload + 4);
            ch.read(rec, 24);
            assertEquals(0x46435245, rec.getInt(0), "a record starts after the 24-byte file header");
            rec.put(at, (byte) (rec.get(at) ^ 1));
            CRC32C crc = new CRC32C();
            crc.update(rec.array(), 0, RECORD_HEAD + payload);
            rec.putInt(RECORD_HEAD + payload, (int) crc.getValue()).clear();
            ch.write(rec, 24);
        }
    }
}
