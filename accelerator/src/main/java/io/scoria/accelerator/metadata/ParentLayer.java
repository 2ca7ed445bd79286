package io.scoria.accelerator.metadata;

/**
 * What a clone inherits from its parent's snapshot, read where the clone's own {@link LbaMap} has no
 * record ({@link LbaMap#layOver}). Implementations are read-only and may be read from any thread.
 */
public interface ParentLayer {
    /**
     * The location a layered map keeps for an LBA the clone removed (trim, zeroes), hiding the parent's
     * data: never a real location (every field of it at its maximum); reads as location 0.
     */
    long TOMBSTONE = -1L;

    /** Fills {@code out} with the inherited entry of {@code lba} (its location at the clone's depth), or location 0. */
    void get(long lba, LbaEntry out);
}
