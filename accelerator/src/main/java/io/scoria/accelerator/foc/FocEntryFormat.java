package io.scoria.accelerator.foc;

/**
 * What a FOC entry's payload (the bytes after its 24-byte header) holds, and the protocol version
 * that carries it (sco-store/FORMATS.md, "Fail-over cache entries"). The FOC server treats the
 * payload as opaque bytes of a fixed size per volume and needs no key.
 * <ul>
 * <li>{@link #CLEAR}: the cluster as written; protocol version 2, payload = cluster size. Volumes
 * that are not encrypted; unchanged, byte for byte, from before sealed entries existed.</li>
 * <li>{@link #SEALED}: the cluster sealed with AES-256-GCM by the owner
 * ({@code io.scoria.accelerator.foc.sealed.FocEntrySeal}); protocol version 3, payload = cluster
 * size + {@link #SEAL_OVERHEAD}. Encrypted volumes. A server of version 2 refuses the HELLO with an
 * error naming both versions.</li>
 * </ul>
 */
public enum FocEntryFormat {
    CLEAR(2, 0),
    SEALED(3, FocEntryFormat.SEAL_OVERHEAD);

    /** Bytes a sealed payload adds to the cluster: key id 8, salt 16, counter 8, GCM tag 16. */
    public static final int SEAL_OVERHEAD = 8 + 16 + 8 + 16;

    private final short protocolVersion;
    private final int overhead;

    FocEntryFormat(int protocolVersion, int overhead) {
        this.protocolVersion = (short) protocolVersion;
        this.overhead = overhead;
    }

    /** The FOC protocol version whose HELLO and REGISTER announce this format. */
    public short protocolVersion() {
        return protocolVersion;
    }

    /** Bytes of an entry's payload for clusters of {@code clusterSize} bytes. */
    public int payloadBytes(int clusterSize) {
        return clusterSize + overhead;
    }

    /** The format a protocol version carries, or null for a version this build does not speak. */
    public static FocEntryFormat ofProtocolVersion(int version) {
        for (FocEntryFormat f : values()) {
            if (f.protocolVersion == version) {
                return f;
            }
        }
        return null;
    }

    /**
     * Checks the entry payload size a REGISTER of this format announces: a cluster size (a power of two,
     * 4 KiB..64 KiB) plus this format's overhead; returns the cluster size.
     *
     * @throws IllegalArgumentException naming the size when it is not one
     */
    public int clusterSizeOf(int payloadBytes) {
        int cs = payloadBytes - overhead;
        try {
            FocClientConfig.checkClusterSize(cs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("entry payload of " + payloadBytes + " bytes is no " + name().toLowerCase()
                    + " entry (cluster size + " + overhead + ", cluster size a power of two in 4096..65536)");
        }
        return cs;
    }
}
