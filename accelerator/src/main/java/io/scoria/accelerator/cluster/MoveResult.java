package io.scoria.accelerator.cluster;

/**
 * A finished handover, as {@code POST /v1/volumes/NAME/move} answers it. Times are measured on the old
 * owner's clock (intervals only): {@code pauseMs} from the last change it acknowledged to the moment it
 * saw the new owner serving (the new owner opened the volume under its lease: a client connected to it
 * is served from then on); {@code drainMs} from the moment it stopped taking requests to the lease given
 * up (everything acknowledged flushed, uploaded and published); {@code takeoverMs} from then to the new
 * owner serving. Immutable.
 *
 * @param volume    the volume moved
 * @param from      the old owner (the node that answered)
 * @param to        the new owner
 * @param fromEpoch the old owner's epoch
 * @param epoch     the new owner's epoch
 */
public record MoveResult(String volume, String from, String to, long fromEpoch, long epoch, long pauseMs, long drainMs,
                         long takeoverMs) {
}
