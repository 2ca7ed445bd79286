package io.scoria.accelerator.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Every route the REST API serves (method and path template, {@code {x}} standing for one path
 * segment), besides the dashboard's files ({@link UiRoutes#ROUTES}). {@link ApiServer} answers a
 * request only if it matches a route here (404 for an unknown path, 405 for a known path with another
 * method), so this list is what the server serves; {@code OpenApiRoutesTest} checks it against
 * {@code openapi.yaml} both ways and probes that each route reaches its handler. Immutable.
 */
final class RouteTable {
    /** A method and a path template such as {@code /v1/volumes/{name}/snapshots/{snapshot}}. */
    record Route(String method, String template) {
        Route {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(template, "template");
        }

        boolean matchesPath(String[] path) {
            String[] t = segments(template);
            if (t.length != path.length) {
                return false;
            }
            for (int i = 0; i < t.length; i++) {
                if (!(t[i].startsWith("{") && t[i].endsWith("}")) && !t[i].equals(path[i])) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    static final List<Route> ROUTES = List.of(
            get("/openapi.yaml"), get("/metrics"), get("/v1/health"), get("/v1/ready"),
            get("/v1/node"), get("/v1/cluster"), get("/v1/backend/requests"), post("/v1/backend/rotate-keys"),
            get("/v1/tokens"), post("/v1/tokens"), delete("/v1/tokens/{id}"),
            get("/v1/volumes"), post("/v1/volumes"),
            get("/v1/volumes/{name}"), delete("/v1/volumes/{name}"),
            get("/v1/volumes/{name}/stats"), get("/v1/volumes/{name}/space"),
            get("/v1/volumes/{name}/qos"), put("/v1/volumes/{name}/qos"), delete("/v1/volumes/{name}/qos"),
            get("/v1/volumes/{name}/schedule"), put("/v1/volumes/{name}/schedule"), delete("/v1/volumes/{name}/schedule"),
            get("/v1/volumes/{name}/attachments"), post("/v1/volumes/{name}/attachments"),
            delete("/v1/volumes/{name}/attachments/{host}"),
            get("/v1/volumes/{name}/wipe-check"),
            get("/v1/volumes/{name}/snapshots"), post("/v1/volumes/{name}/snapshots"),
            get("/v1/volumes/{name}/snapshots/{snapshot}"), delete("/v1/volumes/{name}/snapshots/{snapshot}"),
            get("/v1/volumes/{name}/changes"),
            post("/v1/volumes/{name}/rollback"), post("/v1/volumes/{name}/resize"), post("/v1/volumes/{name}/template"),
            post("/v1/volumes/{name}/reset"), post("/v1/volumes/{name}/clones"), post("/v1/volumes/{name}/scrub-results"),
            post("/v1/volumes/{name}/hydrate"), post("/v1/volumes/{name}/flatten"), post("/v1/volumes/{name}/move"),
            get("/v1/pools"), post("/v1/pools"), get("/v1/pools/{pool}"), delete("/v1/pools/{pool}"),
            post("/v1/pools/{pool}/reset"), post("/v1/pools/{pool}/recompose"),
            get("/v1/hosts"), post("/v1/hosts"), get("/v1/hosts/{host}"), delete("/v1/hosts/{host}"),
            get("/v1/jobs"), get("/v1/jobs/{id}"), delete("/v1/jobs/{id}"),
            get("/v1/schedules"), get("/v1/schedules/default"), put("/v1/schedules/default"),
            delete("/v1/schedules/default"),
            get("/v1/distributor"), post("/v1/distributor/{operation}"));

    private RouteTable() {
    }

    /** The route {@code method path} matches, if any. */
    static Optional<Route> find(String method, String[] path) {
        return ROUTES.stream().filter(r -> r.method().equals(method) && r.matchesPath(path)).findFirst();
    }

    /** Whether some route has {@code path}, with any method. */
    static boolean knownPath(String[] path) {
        return ROUTES.stream().anyMatch(r -> r.matchesPath(path));
    }

    static String[] segments(String template) {
        return template.equals("/") ? new String[0] : template.substring(1).split("/", -1);
    }

    private static Route get(String t) {
        return new Route("GET", t);
    }

    private static Route post(String t) {
        return new Route("POST", t);
    }

    private static Route put(String t) {
        return new Route("PUT", t);
    }

    private static Route delete(String t) {
        return new Route("DELETE", t);
    }
}
