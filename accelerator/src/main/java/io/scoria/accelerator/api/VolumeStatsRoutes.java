package io.scoria.accelerator.api;

import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.metrics.VolumeMetrics;

import java.util.Objects;

/**
 * {@code GET /v1/volumes/NAME/stats}: a volume's I/O counters (requests, bytes, errors and summed
 * latency per operation) and cache and SCO backlog figures, read from the same per-volume meters
 * that {@code /metrics} exports, so that a client (the dashboard's live charts) gets rates from
 * two readings without parsing the Prometheus text. 404 for an unknown volume, and for every
 * volume when this router was started without per-volume meters. Thread-safe.
 */
final class VolumeStatsRoutes {
    private final VolumeService volumes;
    private final VolumeMetrics meters;

    /** {@code meters} may be null (then every call is 404). */
    VolumeStatsRoutes(VolumeService volumes, VolumeMetrics meters) {
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.meters = meters;
    }

    /** True if {@code call} is for this class: {@code /v1/volumes/NAME/stats}. */
    static boolean handles(ApiCall call) {
        return call.path.length == 4 && call.at(0).equals("v1") && call.at(1).equals("volumes")
                && call.at(3).equals("stats");
    }

    Reply route(ApiCall call) {
        if (!call.method.equals("GET")) {
            throw call.methodNotAllowed();
        }
        String name = call.at(2);
        if (volumes.info(name).isEmpty()) {
            throw new VolumeNotFoundException("no volume " + name);
        }
        if (meters == null) {
            throw ProblemException.notFound("this router keeps no per-volume meters");
        }
        return Reply.json(200, meters.stats(name));
    }
}
