package io.scoria.accelerator;

/**
 * Receives the allocation of a volume range from {@link Volume#extents}: consecutive runs, in
 * order, each of a positive length. Called on the thread that asked; keeps no state of the volume.
 */
@FunctionalInterface
public interface ExtentSink {
    /**
     * One run of {@code length} bytes (positive) following the previous one: {@code zero} if it
     * stores nothing and reads as zeros (never written, trimmed, or written with zeros), false if
     * it holds data or its state is not known.
     *
     * @return false to stop: no further runs are wanted
     */
    boolean extent(long length, boolean zero);
}
