package io.scoria.accelerator.metadata;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.scoria.accelerator.metadata.TestRecords.assertHas;
import static io.scoria.accelerator.metadata.TestRecords.put;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A process that dies at any step of an LBA map rebuild (issue 25's growth by side file and
 * rename) leaves a map that opens with every record whose put had returned, no side file once
 * opened, and that takes writes and grows again. The process is a real one, ended by
 * {@link Runtime#halt} (nothing closed, nothing flushed beyond the page cache, as kill -9).
 */
class LbaMapCrashTest {
    @TempDir
    Path dir;

    /** Runs {@link LbaMapCrashChild} until it halts at {@code step}; returns how many puts had returned. */
    private long crashAt(Path file, MapFile.Step step) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LbaMapCrashChild.class.getName(),
                file.toString(), step.name()));
        Path log = dir.resolve("child-" + step + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not end");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(LbaMapCrashChild.HALTED, p.exitValue(), out);
        String line = out.lines().filter(l -> l.startsWith("acknowledged ")).findFirst()
                .orElseThrow(() -> new AssertionError("no acknowledgement count in " + out));
        return Long.parseLong(line.substring("acknowledged ".length()));
    }

    @ParameterizedTest
    @EnumSource(MapFile.Step.class)
    void aCrashAtAnyStepOfARebuildLosesNoAcknowledgedRecord(MapFile.Step step) throws Exception {
        Path file = dir.resolve("map");
        long acknowledged = crashAt(file, step);
        assertTrue(acknowledged > LbaMap.REBUILD_FACTOR * MapFile.MIN_CAPACITY, "puts before the rebuild: " + acknowledged);
        assertEquals(step != MapFile.Step.RENAMED, Files.exists(MapFile.sideFile(file)), "side file after a crash at " + step);
        long more = acknowledged + 1000; // enough writer operations for a fill check, which rebuilds a file left small
        try (LbaMap m = LbaMap.open(file, LbaMapCrashChild.CLUSTERS)) {
            assertFalse(Files.exists(MapFile.sideFile(file)), "side file deleted on open");
            if (step == MapFile.Step.RENAMED) {
                assertTrue(m.capacity() > MapFile.MIN_CAPACITY, "the rebuilt file is in place: " + m.capacity());
            } else {
                assertEquals(MapFile.MIN_CAPACITY, m.capacity(), "the previous file is in place");
            }
            LbaEntry e = new LbaEntry();
            for (long lba = 0; lba < acknowledged; lba++) {
                assertHas(m, lba, e);
            }
            for (long lba = acknowledged; lba < more; lba++) {
                put(m, lba);
            }
        }
        try (LbaMap m = LbaMap.open(file, LbaMapCrashChild.CLUSTERS)) {
            assertTrue(m.capacity() > MapFile.MIN_CAPACITY, "grew again after the crash: " + m.capacity());
            LbaEntry e = new LbaEntry();
            for (long lba = 0; lba < more; lba++) {
                assertHas(m, lba, e);
            }
        }
    }
}
