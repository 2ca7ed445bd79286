package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.foc.FocClientConfig;
import io.scoria.accelerator.foc.OwnerEpochs;

/**
 * Where each volume's fail-over cache (FOC) lives. {@link #fixed} is one FOC server for every volume
 * of the router ({@code foc.address}); a cluster node places each volume's FOC on another node and
 * moves it when that node goes ({@code io.scoria.accelerator.cluster.ClusterFocPlacement}).
 *
 * <p>A {@link #movable()} placement changes what {@link FocVolumeService} does at open: the entries of the
 * previous owner are replayed from {@link #previous} into the volume <em>and mirrored again</em> to the
 * server {@link #place} chose (so that the owner itself keeps every entry not yet on the backend, and
 * can re-send all of them when the FOC moves), and a volume whose local copy survived first waits until
 * its earlier writes are on the backend. Implementations are thread-safe.
 */
public interface FocPlacement {
    /**
     * The FOC server ({@code HOST:PORT}) for the owner opening {@code volume} now.
     *
     * @throws io.scoria.accelerator.foc.FocUnavailableException if no server can take it
     */
    String place(String volume);

    /** The FOC server holding the previous owner's entries of {@code volume} (to replay), or null if none is known. */
    String previous(String volume);

    /** The owner opened {@code volume} with its FOC at {@code address}, or moved it there; recorded for fail-over. */
    void placed(String volume, String address);

    /** The owner epoch to register with at the FOC, or {@link OwnerEpochs#CLAIM} (the server assigns the next). */
    long ownerEpoch(String volume);

    /** True if a volume's FOC may move to another server while it is open. */
    boolean movable();

    /** Every volume's FOC on the one server at {@code address}; owners claim epochs there. */
    static FocPlacement fixed(String address) {
        FocClientConfig.of(address, "probe", 4096, 0); // validates HOST:PORT, naming the argument
        return new FocPlacement() {
            @Override
            public String place(String volume) {
                return address;
            }

            @Override
            public String previous(String volume) {
                return address;
            }

            @Override
            public void placed(String volume, String at) {
            }

            @Override
            public long ownerEpoch(String volume) {
                return OwnerEpochs.CLAIM;
            }

            @Override
            public boolean movable() {
                return false;
            }

            @Override
            public String toString() {
                return address;
            }
        };
    }
}
