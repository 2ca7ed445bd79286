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

    /** The volume, or a new view of the snapshot for {@code VOL@SNAP} (owned by the caller), or null. */
    static io.scoria.accelerator.Volume lookupOrNull(NbdContext context, String name) {
        ExportName export = parse(name);
        try {
            return export.isSnapshot() ? context.volumes().openSnapshot(export.volume(), export.snapshot())
                    : context.volumes().open(name);
        } catch (io.scoria.accelerator.VolumeNotFoundException e) {
            return null;
        }
    }

    /** Closes a snapshot view a connection opened (on a worker if it can); volumes stay the service's. */
    static void release(NbdContext context, String name, io.scoria.accelerator.Volume volume) {
        if (volume != null && parse(name).isSnapshot()) {
            try {
                context.workers().execute(volume::close);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                volume.close();
            }
        }
    }
}
