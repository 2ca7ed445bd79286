package io.scoria.accelerator.frontend;

/**
 * The quality-of-service caps of one volume, enforced by its frontends (NBD and iSCSI alike): I/O
 * operations per second and bytes per second, in total and for reads and writes apart, each 0 for
 * "no cap". A cap lets {@code burstSeconds} of its rate through at once after an idle time (a token
 * bucket of that depth), then holds the volume to the rate. Reads are READ commands; writes are
 * WRITE, WRITE ZEROES / WRITE SAME, TRIM / UNMAP (zeroing and unmapping count as operations with no
 * bytes). Immutable and validated.
 */
public record QosLimits(long iops, long readIops, long writeIops, long bandwidth, long readBandwidth,
                        long writeBandwidth, double burstSeconds) {
    public static final double DEFAULT_BURST_SECONDS = 1.0;
    public static final double MAX_BURST_SECONDS = 60.0;
    public static final QosLimits NONE = new QosLimits(0, 0, 0, 0, 0, 0, DEFAULT_BURST_SECONDS);

    public QosLimits {
        nonNegative("iops", iops);
        nonNegative("readIops", readIops);
        nonNegative("writeIops", writeIops);
        nonNegative("bandwidth", bandwidth);
        nonNegative("readBandwidth", readBandwidth);
        nonNegative("writeBandwidth", writeBandwidth);
        if (!(burstSeconds > 0 && burstSeconds <= MAX_BURST_SECONDS)) {
            throw new IllegalArgumentException("burstSeconds must be > 0 and <= " + MAX_BURST_SECONDS + ", not "
                    + burstSeconds);
        }
    }

    /** True if nothing is capped. */
    public boolean unlimited() {
        return iops == 0 && readIops == 0 && writeIops == 0 && bandwidth == 0 && readBandwidth == 0 && writeBandwidth == 0;
    }

    private static void nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0 (0: no cap), not " + value);
        }
    }
}
