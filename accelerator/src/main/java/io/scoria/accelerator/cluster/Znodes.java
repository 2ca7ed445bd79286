package io.scoria.accelerator.cluster;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * The cluster's state in ZooKeeper, under {@code root} (default {@code /scoria}), and the JSON
 * records the znodes hold:
 * <pre>
 * root/nodes/NODE                ephemeral   {@link Member}: a live node, its addresses and health
 * root/volumes/VOL/epoch         persistent  {@link Epoch}: the last epoch granted, to whom, its FOC address
 * root/volumes/VOL/owner         ephemeral   {@link Owner}: the lease; exists while the owner's session lives
 * root/volumes/VOL/published     persistent  {@link Published}: the last manifest generation reserved, by which epoch
 * root/volumes/VOL/handover      persistent  {@link Handover}: a handover under way (the old owner released the
 *                                            lease for this target); deleted by whoever opens the volume next
 * root/volumes/VOL/foc           persistent  {@link Foc}: where the owner's fail-over cache is (placed per volume);
 *                                            set by the owner in a transaction that checks its epoch
 * root/volumes/VOL/numbers       persistent  {@link Numbers}: SCO and TLog numbers below the limits may have been
 *                                            used by the epoch named or an earlier one; a later epoch starts above
 * </pre>
 * A lease is granted by one ZooKeeper transaction that sets {@code epoch} to the next epoch (versioned,
 * so two grants cannot both win) and creates {@code owner}; a publish is a transaction that checks the
 * version of {@code epoch} (unchanged since the grant) and sets {@code published} (versioned). Immutable.
 */
final class Znodes {
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final String root;

    Znodes(String root) {
        this.root = root;
    }

    String root() {
        return root;
    }

    String nodes() {
        return root + "/nodes";
    }

    String node(String id) {
        return nodes() + "/" + id;
    }

    String volumes() {
        return root + "/volumes";
    }

    String volume(String volume) {
        return volumes() + "/" + volume;
    }

    String epoch(String volume) {
        return volume(volume) + "/epoch";
    }

    String owner(String volume) {
        return volume(volume) + "/owner";
    }

    String published(String volume) {
        return volume(volume) + "/published";
    }

    String handover(String volume) {
        return volume(volume) + "/handover";
    }

    String foc(String volume) {
        return volume(volume) + "/foc";
    }

    String numbers(String volume) {
        return volume(volume) + "/numbers";
    }

    /** A live node: its id, addresses (HOST:PORT; foc may be null) and health ({@code ok} or {@code degraded}). */
    record Member(String node, String nbd, String iscsi, String foc, String api, String health) {
        Member withHealth(String h) {
            return new Member(node, nbd, iscsi, foc, api, h);
        }
    }

    /** The last epoch granted for a volume (0: none yet), the node it went to, and that owner's FOC address. */
    record Epoch(long epoch, String node, String foc) {
        static final Epoch NONE = new Epoch(0, null, null);
    }

    /** A lease: the owner and its epoch. */
    record Owner(String node, long epoch) {
    }

    /** A handover: node {@code from} gave up epoch {@code epoch} of the volume for node {@code to}. */
    record Handover(String from, String to, long epoch) {
    }

    /** Where the volume's fail-over cache is: the FOC server's address, its node, and the owner epoch that placed it. */
    record Foc(long epoch, String address, String node) {
    }

    /** The SCO and TLog numbers reserved so far: every number below a limit may be in use by {@code epoch} or earlier. */
    record Numbers(long epoch, long scoLimit, long tlogLimit) {
    }

    /** The last manifest generation reserved for a publish, and the epoch that reserved it. */
    record Published(long epoch, long generation) {
    }

    static byte[] encode(Object record) {
        try {
            return JSON.writeValueAsBytes(record);
        } catch (IOException e) {
            throw new ClusterException("cannot encode " + record, e);
        }
    }

    static <T> T decode(byte[] data, Class<T> type, String path) {
        try {
            return JSON.readValue(data, type);
        } catch (IOException e) {
            throw new ClusterException("znode " + path + " does not hold a valid " + type.getSimpleName() + ": "
                    + e.getMessage(), e);
        }
    }
}
