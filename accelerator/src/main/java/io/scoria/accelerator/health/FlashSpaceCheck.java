package io.scoria.accelerator.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Ready while the file system of local flash (SCO cache, TLogs, metadata) has at least
 * {@code minFreeBytes} usable: below that, writes would soon stall on a full SCO cache or fail on
 * a full disk.
 */
public final class FlashSpaceCheck implements HealthCheck {
    private final Path flashDir;
    private final long minFreeBytes;

    public FlashSpaceCheck(Path flashDir, long minFreeBytes) {
        this.flashDir = Objects.requireNonNull(flashDir, "flashDir");
        if (minFreeBytes < 0) {
            throw new IllegalArgumentException("minimum free flash must be 0 or more: " + minFreeBytes);
        }
        this.minFreeBytes = minFreeBytes;
    }

    @Override
    public String name() {
        return "flash";
    }

    @Override
    public CheckResult check() {
        try {
            long free = Files.getFileStore(flashDir).getUsableSpace();
            String figures = (free >> 20) + " MiB free on " + flashDir + ", minimum " + (minFreeBytes >> 20) + " MiB";
            return free >= minFreeBytes ? CheckResult.pass(name(), figures) : CheckResult.fail(name(), "flash nearly full: "
                    + figures);
        } catch (IOException | RuntimeException e) {
            return CheckResult.fail(name(), "cannot read the free space of " + flashDir + ": " + e.getMessage());
        }
    }
}
