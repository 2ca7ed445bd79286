package io.scoria.accelerator.nbd;

/**
 * The metadata contexts that {@code NBD_OPT_SET_META_CONTEXT} selected for the export a connection
 * attached to, under the ids this server gives them: {@code base:allocation} ({@link #ID_ALLOCATION})
 * and, on a snapshot export {@code VOL@SNAP}, at most one {@code qemu:dirty-bitmap:OLDER}
 * ({@link #ID_DIRTY}): the clusters changed after snapshot {@code OLDER} up to {@code SNAP}. Immutable.
 *
 * @param allocation whether {@code base:allocation} is selected
 * @param dirtySince the older snapshot of the selected dirty bitmap, or null
 */
record MetaContexts(boolean allocation, String dirtySince) {
    static final MetaContexts NONE = new MetaContexts(false, null);
    static final int ID_ALLOCATION = 1;
    static final int ID_DIRTY = 2;
    /** The namespace and leaf prefix of QEMU's dirty bitmaps; the rest is the name of the bitmap. */
    static final String DIRTY_PREFIX = "qemu:dirty-bitmap:";
    /** The flag of a dirty run in a {@code qemu:dirty-bitmap} descriptor. */
    static final int STATE_DIRTY = 1;

    /** How many contexts are selected (a BLOCK_STATUS reply has one chunk per context). */
    int count() {
        return (allocation ? 1 : 0) + (dirtySince != null ? 1 : 0);
    }

    /** The selected contexts' names and ids, as SET_META_CONTEXT replies name them. */
    java.util.Map<String, Integer> named() {
        java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
        if (allocation) {
            out.put(NbdProtocol.CONTEXT_BASE_ALLOCATION, ID_ALLOCATION);
        }
        if (dirtySince != null) {
            out.put(DIRTY_PREFIX + dirtySince, ID_DIRTY);
        }
        return out;
    }
}
