package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** What an open volume costs before anything is written (issue 25): flash and threads. */
class VolumeDensityTest {
    private static final long MIB = 1 << 20;
    @TempDir
    Path dir;
    LocalVolumeService svc;

    @BeforeEach
    void setUp() {
        svc = new LocalVolumeService(new InMemoryObjectStore(), VolumeBasicsTest.config(dir));
    }

    @AfterEach
    void tearDown() {
        svc.close();
    }

    /** Bytes the files under {@code p} occupy on flash ({@code du --block-size=1}). */
    private static long du(Path p) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder("du", "-s", "--block-size=1", p.toString()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes()).trim();
        assertEquals(0, proc.waitFor(), "du: " + out);
        return Long.parseLong(out.split("\\s+")[0]);
    }

    @Test
    void anEmptySixteenTebibyteVolumeTakesAtMostOneMebibyteOfFlashOnceOpenAndAfterAReopen() throws Exception {
        svc.create("big", new VolumeSpec(16L << 40, 4096, 4 << 20));
        svc.create("small", new VolumeSpec(1L << 30, 4096, 4 << 20));
        svc.open("big").read(0, ByteBuffer.allocate(4096));
        svc.open("small").read(0, ByteBuffer.allocate(4096));
        long big = du(svc.volumeDir("big"));
        long small = du(svc.volumeDir("small"));
        assertTrue(big <= MIB, "an empty 16 TiB volume takes " + big + " bytes of local flash");
        assertTrue(big <= small + 64 * 1024, "flash flat in volume size: 16 TiB " + big + " vs 1 GiB " + small);
        svc.closeVolume("big");
        svc.open("big").read(1L << 40, ByteBuffer.allocate(4096));
        assertTrue(du(svc.volumeDir("big")) <= MIB, "after a reopen: " + du(svc.volumeDir("big")));
        ByteBuffer data = ByteBuffer.allocate(4096);
        data.put(0, (byte) 7);
        svc.open("big").write(15L << 40, data, false);
        ByteBuffer back = ByteBuffer.allocate(4096);
        svc.open("big").read(15L << 40, back);
        assertEquals(7, back.get(0));
    }

    /** Threads of this JVM, by name, without the ones that come and go by themselves (JIT, pools of the test runner). */
    private static List<String> threads() {
        Set<Thread> all = Thread.getAllStackTraces().keySet();
        try (Stream<Thread> s = all.stream()) {
            return s.filter(Thread::isAlive).map(Thread::getName).sorted().toList();
        }
    }

    @Test
    void openingTwoHundredVolumesStartsNoThreadAndNoFileDescriptorPerVolume() throws Exception {
        for (int i = 0; i < 202; i++) {
            svc.create("vol" + i, new VolumeSpec(20L << 30, 4096, 4 << 20));
        }
        for (int i = 0; i < 2; i++) {
            svc.open("vol" + i).read(0, ByteBuffer.allocate(4096));
        }
        Thread.sleep(200);
        List<String> two = threads();
        long fdsTwo = openFiles();
        for (int i = 2; i < 202; i++) {
            svc.open("vol" + i).read(0, ByteBuffer.allocate(4096));
        }
        Thread.sleep(200);
        List<String> many = threads();
        long fdsMany = openFiles();
        assertTrue(many.size() <= two.size() + 2, "threads with 2 open volumes: " + two.size() + ", with 202: " + many.size()
                + " " + many);
        assertTrue(fdsMany - fdsTwo <= 200 * 1.1, "file descriptors grew by " + (fdsMany - fdsTwo) + " for 200 volumes");
    }

    private static long openFiles() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
