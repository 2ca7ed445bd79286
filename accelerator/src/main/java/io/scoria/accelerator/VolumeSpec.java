package io.scoria.accelerator;

import io.scoria.backend.transform.TransformPolicy;

/**
 * What a new volume looks like.
 *
 * @param sizeBytes    volume size, a multiple of {@code clusterSize}
 * @param clusterSize  4 KiB to 64 KiB, a power of two
 * @param scoSize      SCO size in bytes, 1 MiB to 256 MiB, a multiple of {@code clusterSize}, at most
 *                     65,536 clusters (a cluster's offset in its SCO has 16 bits)
 * @param compression  backend compression of the volume's objects, {@code none | lz4 | zstd[:level]}; null when
 *                     creating: the backend's default ({@code backend.transform.compression})
 * @param encryption   backend encryption, {@code none | aes-256-gcm}; null when creating: the backend's default
 */
public record VolumeSpec(long sizeBytes, int clusterSize, int scoSize, String compression, String encryption) {
    public static final int DEFAULT_CLUSTER_SIZE = 4096;
    public static final int DEFAULT_SCO_SIZE = 4 << 20;
    /** 65,536 clusters of 4 KiB. */
    public static final int MAX_SCO_SIZE = 256 << 20;

    public VolumeSpec {
        if (clusterSize < 4096 || clusterSize > 65536 || Integer.bitCount(clusterSize) != 1) {
            throw new IllegalArgumentException("clusterSize must be a power of two from 4 KiB to 64 KiB: " + clusterSize);
        }
        if (sizeBytes <= 0 || sizeBytes % clusterSize != 0) {
            throw new IllegalArgumentException("sizeBytes must be a positive multiple of clusterSize " + clusterSize
                    + ": " + sizeBytes);
        }
        if (scoSize < (1 << 20) || scoSize > MAX_SCO_SIZE || scoSize % clusterSize != 0) {
            throw new IllegalArgumentException("scoSize must be 1 MiB to 256 MiB and a multiple of clusterSize: " + scoSize);
        }
    }

    /** A spec with the backend's default compression and encryption. */
    public VolumeSpec(long sizeBytes, int clusterSize, int scoSize) {
        this(sizeBytes, clusterSize, scoSize, null, null);
    }

    /** This spec with {@code policy}'s compression and encryption. */
    public VolumeSpec withTransform(TransformPolicy policy) {
        return new VolumeSpec(sizeBytes, clusterSize, scoSize, policy.compressionLabel(), policy.encryptionLabel());
    }

    public static VolumeSpec ofSize(long sizeBytes) {
        return new VolumeSpec(sizeBytes, DEFAULT_CLUSTER_SIZE, DEFAULT_SCO_SIZE);
    }
}
