package io.scoria.accelerator.metadata;

import java.nio.file.Path;

/**
 * Run by {@link LbaMapCrashTest} in a process of its own: writes LBA 0, 1, 2, ... into a new map
 * until its file is rebuilt, and ends the process abruptly ({@link Runtime#halt}: no close, no
 * shutdown hook, as {@code kill -9}) at the given {@link MapFile.Step} of the first rebuild, after
 * printing how many puts had returned.
 */
final class LbaMapCrashChild {
    static final long CLUSTERS = 1L << 24;
    static final int HALTED = 137;

    private LbaMapCrashChild() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        MapFile.Step at = MapFile.Step.valueOf(args[1]);
        LbaMap m = LbaMap.open(file, CLUSTERS);
        long[] acknowledged = {0};
        m.onGrowthStep(step -> {
            if (step == at) {
                System.out.println("acknowledged " + acknowledged[0]);
                System.out.flush();
                Runtime.getRuntime().halt(HALTED);
            }
        });
        for (long lba = 0; lba < CLUSTERS; lba++) {
            TestRecords.put(m, lba);
            acknowledged[0] = lba + 1;
        }
        System.out.println("no rebuild reached step " + at);
        System.exit(1);
    }
}
