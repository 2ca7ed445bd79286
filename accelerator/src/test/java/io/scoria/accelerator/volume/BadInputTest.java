package io.scoria.accelerator.volume;

import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.FaultInjectingStore;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

class BadInputTest {
    @TempDir
    Path tmp;

    private static byte[] content(Volume v) {
        ByteBuffer b = ByteBuffer.allocate((int) v.size());
        v.read(0, b);
        return b.array();
    }

    @Test
    void aDamagedUploadStateFileIsNamedAndTheVolumeStaysIntact() throws Exception {
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 9);
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(1 << 20));
            Volume v = svc.open("vol");
            v.write(8192, ByteBuffer.wrap(data), false);
            v.snapshot("s1");
        }
        Path state = tmp.resolve("volumes").resolve("vol").resolve(VolumeUploads.STATE);
        String good = java.nio.file.Files.readString(state);
        assertTrue(good.matches("\\d+ \\d+\n"), good);
        java.nio.file.Files.writeString(state, "7 x");
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp))) {
            io.scoria.accelerator.VolumeException e = assertThrows(io.scoria.accelerator.VolumeException.class, () -> svc.open("vol"));
            assertTrue(e.getMessage().contains(state.toString()) && e.getMessage().contains("'7 x'"), e.getMessage());
        }
        assertTrue(java.nio.file.Files.exists(state.resolveSibling("clean")), "the clean marker is still there");
        java.nio.file.Files.writeString(state, good);
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp))) {
            ByteBuffer got = ByteBuffer.allocate(4096);
            svc.open("vol").read(8192, got);
            assertArrayEquals(data, got.array());
        }
    }

    @Test
    void anEmptyNamespaceLeftByACreateCutShortIsMadeAgainButOneHoldingObjectsIsNot() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        store.createNamespace("half");        // a create killed between the namespace and its first manifest
        store.createNamespace("taken");
        store.put("taken", "state", java.nio.ByteBuffer.wrap(new byte[]{1}));
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp))) {
            assertEquals("half", svc.create("half", VolumeSpec.ofSize(1 << 20)).name());
            svc.open("half").write(0, java.nio.ByteBuffer.wrap(new byte[4096]), true);
            assertThrows(io.scoria.accelerator.VolumeConflictException.class,
                    () -> svc.create("taken", VolumeSpec.ofSize(1 << 20)), "a namespace holding objects is not taken over");
            assertTrue(store.exists("taken", "state"));
            assertThrows(io.scoria.accelerator.VolumeConflictException.class,
                    () -> svc.create("half", VolumeSpec.ofSize(1 << 20)), "a volume that exists stays");
        }
    }

    @Test
    void badCallsFailClearlyAndChangeNothing() {
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp))) {
            svc.create("vol", VolumeSpec.ofSize(1 << 20));
            Volume v = svc.open("vol");
            byte[] data = new byte[8192];
            Arrays.fill(data, (byte) 7);
            v.write(4096, ByteBuffer.wrap(data), false);
            v.snapshot("s1");
            byte[] before = content(v);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> v.write((1 << 20) - 100, ByteBuffer.wrap(data), false));
            assertTrue(e.getMessage().contains("passes the end"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> v.read(-1, ByteBuffer.allocate(10)));
            assertTrue(e.getMessage().contains("offset"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> v.trim(0, -5));
            assertTrue(e.getMessage().contains("length"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> v.writeZeroes(1 << 20, 1, false));
            assertThrows(IllegalArgumentException.class, () -> v.read(0, ByteBuffer.allocate(Volume.MAX_IO_BYTES + 1)));
            VolumeNotFoundException nf = assertThrows(VolumeNotFoundException.class, () -> v.rollback("missing"));
            assertTrue(nf.getMessage().contains("missing"), nf.getMessage());
            assertThrows(VolumeNotFoundException.class, () -> v.deleteSnapshot("missing"));
            assertThrows(VolumeConflictException.class, () -> v.snapshot("s1"));
            nf = assertThrows(VolumeNotFoundException.class, () -> svc.clone("vol", "missing", "copy"));
            assertTrue(nf.getMessage().contains("missing"), nf.getMessage());
            assertTrue(svc.info("copy").isEmpty());
            assertThrows(VolumeNotFoundException.class, () -> svc.clone("nosuch", null, "copy"));
            assertThrows(VolumeNotFoundException.class, () -> svc.open("nosuch"));
            assertThrows(IllegalArgumentException.class, () -> svc.create("A b", VolumeSpec.ofSize(1 << 20)));
            assertThrows(VolumeConflictException.class, () -> svc.create("vol", VolumeSpec.ofSize(1 << 20)));
            assertThrows(VolumeConflictException.class, () -> svc.resetToParent("vol"));
            assertArrayEquals(before, content(v));
            assertEquals(1, v.listSnapshots().size());

            svc.makeTemplate("vol");
            ReadOnlyVolumeException ro = assertThrows(ReadOnlyVolumeException.class, () -> v.write(0, ByteBuffer.wrap(data), false));
            assertTrue(ro.getMessage().contains("template"), ro.getMessage());
            assertThrows(ReadOnlyVolumeException.class, () -> v.trim(0, 4096));
            assertThrows(ReadOnlyVolumeException.class, () -> v.rollback("s1"));
            assertArrayEquals(before, content(v));

            svc.create("vol2", VolumeSpec.ofSize(1 << 20));
            Volume v2 = svc.open("vol2");
            svc.closeVolume("vol2");
            VolumeConflictException closed = assertThrows(VolumeConflictException.class, () -> v2.write(0, ByteBuffer.wrap(data), false));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            assertArrayEquals(new byte[1 << 20], content(svc.open("vol2")));
        }
    }

    @Test
    void fullScoCacheThrottlesWritesUntilTheBackendIsBack() throws Exception {
        FaultInjectingStore store = new FaultInjectingStore(new InMemoryObjectStore());
        try (LocalVolumeService svc = new LocalVolumeService(store, EngineConfig.defaults(tmp).withScoCacheBytes(4L << 20)
                .withRetry(Duration.ofMillis(5), Duration.ofMillis(20)))) {
            svc.create("vol", new VolumeSpec(32 << 20, 4096, 1 << 20));
            Volume v = svc.open("vol");
            store.down(true);
            byte[] data = new byte[16 << 20];
            new java.util.Random(5).nextBytes(data);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                for (int off = 0; off < data.length; off += 1 << 20) {
                    v.write(off, ByteBuffer.wrap(data, off, 1 << 20), false);
                }
            });
            assertThrows(TimeoutException.class, () -> writer.get(1, TimeUnit.SECONDS), "writes must wait, not fail");
            assertFalse(writer.isCompletedExceptionally());
            assertTrue(svc.scoCache().pinnedBytes() <= 4L << 20);
            store.down(false);
            writer.get(30, TimeUnit.SECONDS);
            ByteBuffer b = ByteBuffer.allocate(data.length);
            v.read(0, b);
            assertArrayEquals(data, b.array());
        }
    }

    @Test
    void makeTemplateIsRefusedWhileAWriteIsInFlight() throws Exception {
        java.util.concurrent.CountDownLatch inWrite = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        io.scoria.accelerator.WriteListener blocking = new io.scoria.accelerator.WriteListener() {
            @Override
            public void onWrite(long lba, long location, ByteBuffer cluster) {
                inWrite.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onFlush() {
            }

            @Override
            public void onScoOnBackend(long scoNumber) {
            }
        };
        try (LocalVolumeService svc = new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(tmp), volume -> blocking)) {
            svc.create("vol", VolumeSpec.ofSize(1 << 20));
            Volume v = svc.open("vol");
            byte[] data = new byte[4096];
            data[0] = 1;
            CompletableFuture<Void> w = CompletableFuture.runAsync(() -> v.write(0, ByteBuffer.wrap(data), false));
            assertTrue(inWrite.await(10, TimeUnit.SECONDS));
            VolumeConflictException e = assertThrows(VolumeConflictException.class, () -> svc.makeTemplate("vol"));
            assertTrue(e.getMessage().contains("in flight"), e.getMessage());
            assertFalse(v.isReadOnly());
            release.countDown();
            w.get(10, TimeUnit.SECONDS);
            svc.makeTemplate("vol");
            assertTrue(v.isReadOnly());
            ByteBuffer b = ByteBuffer.allocate(4096);
            v.read(0, b);
            assertArrayEquals(data, b.array());
        }
    }
}
