package io.scoria.accelerator.api;

import io.scoria.accelerator.cluster.ClusterControl;
import io.scoria.accelerator.cluster.ClusterException;
import io.scoria.accelerator.cluster.HandoverFailedException;
import io.scoria.accelerator.cluster.UnknownNodeException;

/**
 * {@code GET /v1/cluster} (this node's view of the cluster) and {@code POST /v1/volumes/NAME/move}
 * with {@code {"to": "NODE"}} (hand the volume to another node; answers the measured pause, see
 * {@link io.scoria.accelerator.cluster.MoveResult}). A node without a {@code cluster:} section answers
 * 404. An unknown or dead target is a 400 naming it, a volume owned elsewhere or already on the target a
 * 409, a handover that failed a 503 saying who serves the volume. Stateless, thread-safe.
 */
final class ClusterRoutes {
    private final ClusterControl cluster;

    ClusterRoutes(ClusterControl cluster) {
        this.cluster = cluster;
    }

    /** True if {@code call} is for this class. */
    static boolean handles(ApiCall call) {
        return call.at(0).equals("v1") && (call.path.length == 2 && call.at(1).equals("cluster")
                || call.path.length == 4 && call.at(1).equals("volumes") && call.at(3).equals("move"));
    }

    Reply route(ApiCall call) {
        boolean status = call.path.length == 2;
        if (!call.method.equals(status ? "GET" : "POST")) {
            throw call.methodNotAllowed();
        }
        if (cluster == null) {
            throw ProblemException.notFound("this router is not a cluster node (its configuration has no cluster: section)");
        }
        if (status) {
            return Reply.json(200, cluster.status());
        }
        ApiModel.Move req = call.body(ApiModel.Move.class);
        if (req == null || req.to() == null || req.to().isBlank()) {
            throw ProblemException.badRequest("'to' is required: the id of the node to move the volume to");
        }
        try {
            return Reply.json(200, cluster.move(call.at(2), req.to()));
        } catch (UnknownNodeException e) {
            throw new ProblemException(400, "unknown-node", "Unknown node", e.getMessage());
        } catch (HandoverFailedException e) {
            throw new ProblemException(503, "handover-failed", "Handover failed", e.getMessage());
        } catch (ClusterException e) {
            throw new ProblemException(503, "cluster-unavailable", "Cluster unavailable", e.getMessage());
        }
    }
}
