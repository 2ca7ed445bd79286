package io.scoria.accelerator.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /v1/node}: which of the optional parts of the API this router serves (jobs, a
 * distributor backend, a cluster, per-volume stats, hosts and attachments, volumes' measured space), so that a client such as the dashboard asks
 * only for what exists instead of probing for 404s. Any role. Immutable, thread-safe.
 */
final class NodeRoutes {
    private final Map<String, Object> features;

    NodeRoutes(ApiServices services) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("jobs", services.jobs() != null);
        f.put("distributor", services.distributor() != null);
        f.put("cluster", services.cluster() != null);
        f.put("volumeStats", services.volumeMeters() != null);
        f.put("hosts", services.hosts() != null);
        f.put("space", services.schedules() != null && services.schedules().measuresSpace());
        this.features = java.util.Collections.unmodifiableMap(f);
    }

    /** True if {@code call} is for this class. */
    static boolean handles(ApiCall call) {
        return call.path.length == 2 && call.at(0).equals("v1") && call.at(1).equals("node");
    }

    Reply route(ApiCall call) {
        if (!call.method.equals("GET")) {
            throw call.methodNotAllowed();
        }
        return Reply.json(200, features);
    }
}
