package io.scoria.accelerator.foc;

/** Replication state of one volume's fail-over cache, as the volume reports it. */
public enum FocState {
    /** Connected and registered; everything retained has been (re-)sent. */
    OK,
    /** The FOC server is unreachable or still receiving the re-sent entries; writes are not replicated yet. */
    DEGRADED,
    /** A newer owner registered the volume; this owner must stop. Terminal. */
    FENCED,
    /** Closed by its owner. Terminal. */
    CLOSED
}
