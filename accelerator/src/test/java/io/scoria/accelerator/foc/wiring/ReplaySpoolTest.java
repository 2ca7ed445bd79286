package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.FocEntryFormat;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.client.FailoverCaches;
import io.scoria.accelerator.foc.sealed.FocEntrySeal;
import io.scoria.accelerator.foc.sealed.SealedFailoverCache;
import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.accelerator.testing.InMemoryVolume;
import io.scoria.backend.config.Secret;
import io.scoria.backend.testing.InMemoryObjectStore;
import io.scoria.backend.transform.FlashKey;
import io.scoria.backend.transform.KeyEncryptionKey;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.scoria.backend.testing.ByteSearch.contains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replay spool (the new owner's temporary file between fetching a volume's FOC entries and applying
 * them) of an encrypted volume does not hold its clusters in clear, and the replay still applies them byte
 * for byte; a clear volume's spool holds them as they are (the control). The spool is looked at when the
 * first entry is applied, the moment it is complete on disk.
 */
class ReplaySpoolTest {
    private static final int CS = 4096;
    private static final int ENTRIES = 16;
    private static final String VOL = "spooled";
    private static final byte[] NEEDLE = "spool needle, lba ".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;
    private FocServer server;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void start() {
        server = new FocServer(new InetSocketAddress("127.0.0.1", 0), tmp.resolve("foc-server"));
        toClose.add(server);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private static FlashKey volumeKey() {
        InMemoryObjectStore raw = new InMemoryObjectStore();
        TransformingObjectStore store = new TransformingObjectStore(raw, new KeyRing(raw, KeyRing.DEFAULT_NAMESPACE,
                KeyEncryptionKey.of(Secret.of("MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="), "keyEncryptionKey"),
                List.of()), null, TransformPolicy.NONE);
        store.createNamespace(VOL, TransformPolicy.parse("none+aes-256-gcm"));
        return store.flashKey(VOL).orElseThrow();
    }

    private FailoverCache cache(long epoch, FlashKey key) {
        FocClientConfig c = FocClientConfig.of("127.0.0.1:" + server.localAddress().getPort(), VOL, CS, epoch);
        FailoverCache cache = key == null ? FailoverCaches.create(FocMode.SYNC, c)
                : new SealedFailoverCache(FailoverCaches.create(FocMode.SYNC, c.withEntryFormat(FocEntryFormat.SEALED)),
                new FocEntrySeal(VOL, key, CS));
        toClose.add(cache);
        return cache;
    }

    private static ByteBuffer cluster(long lba) {
        byte[] text = (new String(NEEDLE, StandardCharsets.US_ASCII) + lba + "; ").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(CS);
        for (int i = 0; i < CS; i++) {
            b.put(i, text[i % text.length]);
        }
        return b;
    }

    /** Mirrors ENTRIES clusters, replays them into a volume and returns whether the full spool held the needle. */
    private boolean replayAndLookAtTheSpool(FlashKey key) throws Exception {
        FailoverCache owner = cache(1, key);
        for (long lba = 0; lba < ENTRIES; lba++) {
            owner.add(lba, 100, (int) lba * CS, 0, cluster(lba));
        }
        owner.flush();
        Path spool = tmp.resolve("state").resolve(VOL + ".replay");
        InMemoryVolume volume = new InMemoryVolume(VOL, 16L << 20, CS);
        boolean[] needle = {false};
        long[] spoolBytes = {-1};
        volume.setWriteHook(offset -> {
            if (spoolBytes[0] < 0) {
                try {
                    byte[] b = Files.readAllBytes(spool);
                    spoolBytes[0] = b.length;
                    needle[0] = contains(b, NEEDLE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        assertEquals(ENTRIES, ReplaySpool.replay(cache(2, key), volume, spool));
        assertEquals((long) ENTRIES * (8 + CS), spoolBytes[0], "the spool was complete when the first entry was applied");
        assertFalse(Files.exists(spool), "the spool is deleted after the replay");
        ByteBuffer got = ByteBuffer.allocate(CS);
        for (long lba = 0; lba < ENTRIES; lba++) {
            volume.read(lba * CS, got.clear());
            assertArrayEquals(cluster(lba).array(), got.array(), "lba " + lba + " replayed byte for byte");
        }
        return needle[0];
    }

    @Test
    void anEncryptedVolumesSpoolDoesNotHoldItsClustersInClear() throws Exception {
        assertFalse(replayAndLookAtTheSpool(volumeKey()), "the replay spool holds a cluster in clear");
    }

    @Test
    void aClearVolumesSpoolHoldsItsClustersAsTheyAre() throws Exception {
        assertTrue(replayAndLookAtTheSpool(null), "control: the spool of a clear volume holds its clusters");
    }
}
