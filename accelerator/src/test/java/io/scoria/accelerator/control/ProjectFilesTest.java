package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the project of volumes and hosts is kept: files written before projects read as project default. */
class ProjectFilesTest {
    @TempDir
    Path dir;

    @Test
    void aHostsFileWithoutProjectsReadsAsDefaultAndNewHostsKeepTheirs() throws Exception {
        Path file = dir.resolve("hosts.json");
        Files.writeString(file, "{\"version\":1,\"hosts\":[{\"name\":\"old\",\"address\":\"10.0.0.1/32\"}],"
                + "\"attachments\":[]}");
        HostRegistry hosts = HostRegistry.open(file);
        assertEquals(Project.DEFAULT, hosts.host("old").project());
        hosts.add(new Host("new", null, null, "10.0.0.2/32", null, null, "team-a"));
        HostRegistry reopened = HostRegistry.open(file);
        assertEquals("team-a", reopened.host("new").project());
        assertEquals(Project.DEFAULT, reopened.host("old").project());
        assertTrue(Files.readString(file).replace(" ", "").contains("\"project\":\"team-a\""), Files.readString(file));
        assertThrows(IllegalArgumentException.class, () -> new Host("x", null, null, "10.0.0.3/32", null, null, "Team A"));
    }

    @Test
    void volumesKeepTheirProjectAcrossARestartAndClonesTakeTheirParents() {
        InMemoryVolumeService volumes = new InMemoryVolumeService();
        Path life = dir.resolve("lifecycle");
        try (VolumeLifecycle lifecycle = VolumeLifecycle.open(life, volumes, null, Duration.ZERO)) {
            lifecycle.create("old", VolumeSpec.ofSize(1 << 20));
            lifecycle.create("va", VolumeSpec.ofSize(1 << 20), "team-a");
            volumes.open("va").snapshot("s1");
            lifecycle.cloneSet("va", "s1", List.of("va-1", "va-2"), VolumeLifecycle.CloneProgress.NONE);
            assertThrows(IllegalArgumentException.class, () -> lifecycle.create("bad", VolumeSpec.ofSize(1 << 20), "A B"));
            assertTrue(volumes.info("bad").isEmpty(), "a bad project creates nothing");
        }
        try (VolumeLifecycle lifecycle = VolumeLifecycle.open(life, volumes, null, Duration.ZERO)) {
            assertEquals(Project.DEFAULT, lifecycle.project("old"));
            assertEquals("team-a", lifecycle.project("va"));
            assertEquals("team-a", lifecycle.project("va-2"));
            lifecycle.delete("va-2");
            assertEquals(Project.DEFAULT, lifecycle.project("va-2"), "a deleted name belongs to no project");
            assertEquals("team-a", VolumeProjects.open(life.resolve("projects.json")).of("va-1"));
        }
        // a lifecycle without this router's files (its data directory lost, or another router of the backend)
        // answers the project the volume itself carries
        try (VolumeLifecycle lost = VolumeLifecycle.open(dir.resolve("lost"), volumes, null, Duration.ZERO)) {
            assertEquals("team-a", lost.project("va"));
            assertEquals("team-a", lost.project("va-1"));
            assertEquals(Project.DEFAULT, lost.project("old"));
        }
    }
}
