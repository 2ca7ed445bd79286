package io.scoria.distributor;

/**
 * Progress of a long distributor job (repair, rebalance, re-encode) over one namespace.
 * Pass {@link #lastKey()} as {@code resumeAfter} to continue an interrupted job; the last
 * progress is also saved on the stores ({@link io.scoria.distributor.store.Distributor#savedProgress}), so another process
 * can resume it. Counts are those of this run (a resumed run counts from zero).
 *
 * @param objects            objects examined so far
 * @param fragmentsChecked   fragments read and verified against their CRC32C
 * @param fragmentsMissing   fragments found missing, corrupt, or on unreachable/removed stores
 * @param fragmentsRebuilt   fragments decoded from others and stored again
 * @param fragmentsMoved     healthy fragments copied to another store (rebalance)
 * @param manifestsWritten   manifests rewritten (new placement or missing replicas)
 * @param objectsReencoded   objects rewritten with the target policy (re-encode)
 * @param objectsFailed      objects that could not be fixed now (too few fragments or stores)
 * @param lastKey            last key fully handled; null before the first
 * @param finished           true when the whole namespace was handled
 * @param updatedMillis      when this progress was taken
 * @param bytes              bytes of the objects examined (0 in checkpoints saved before it was counted)
 */
public record JobProgress(String job, String namespace, long objects, long fragmentsChecked, long fragmentsMissing,
                          long fragmentsRebuilt, long fragmentsMoved, long manifestsWritten, long objectsReencoded,
                          long objectsFailed, String lastKey, boolean finished, long updatedMillis, long bytes) {
}
