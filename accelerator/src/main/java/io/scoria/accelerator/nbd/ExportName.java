package io.scoria.accelerator.nbd;

/**
 * An NBD export name: a volume ({@code vm1}) or one of its snapshots ({@code vm1@nightly}), which is
 * served read-only without cloning. Volume names cannot hold {@code @}, so the first one separates
 * them; a snapshot name may hold further ones. Immutable.
 *
 * @param volume   the volume
 * @param snapshot the snapshot, or null for the volume itself
 */
record ExportName(String volume, String snapshot) {
    static ExportName parse(String export) {
        int at = export.indexOf('@');
        return at < 0 ? new ExportName(export, null) : new ExportName(export.substring(0, at), export.substring(at + 1));
    }

    /** True for a snapshot export: read-only, and its volume object is owned by the connection. */
    boolean isSnapshot() {
        return snapshot != null;
    }
}
