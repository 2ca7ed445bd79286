package io.scoria.accelerator.api;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeInfo;

import java.util.List;

/** Request and response bodies of the management API (see {@code openapi.yaml}). */
public final class ApiModel {
    private ApiModel() {
    }

    /**
     * {@code size}: bytes or a size with a unit ({@code 20GiB}); cluster and SCO sizes optional;
     * {@code compression} ({@code none | lz4 | zstd[:level]}) and {@code encryption}
     * ({@code none | aes-256-gcm}) optional, by default the backend's.
     */
    public record CreateVolume(String name, String size, String clusterSize, String scoSize, String compression,
                               String encryption) {
        public CreateVolume(String name, String size, String clusterSize, String scoSize) {
            this(name, size, clusterSize, scoSize, null, null);
        }
    }

    public record CreateSnapshot(String name) {
    }

    public record Rollback(String snapshot) {
    }

    /**
     * Either {@code name} (one clone) or {@code count} and {@code prefix} (clones named
     * prefix1..prefixN); {@code snapshot} null means the template's or the latest snapshot.
     */
    public record CreateClones(String name, Integer count, String prefix, String snapshot) {
    }

    /** A volume with its snapshots. */
    public record VolumeDetail(VolumeInfo volume, long sizeBytes, List<SnapshotInfo> snapshots) {
    }

    /** {@code role}: {@code admin}, {@code operator} or {@code viewer}. */
    public record CreateToken(String role) {
    }

    /** A new token: the only answer that carries its secret; {@code toString} hides it. */
    public record CreatedToken(String id, Role role, java.time.Instant created, String token) {
        @Override
        public String toString() {
            return "CreatedToken[id=" + id + ", role=" + role.wireName() + ", created=" + created + ", token=redacted]";
        }
    }
}
