package io.scoria.accelerator.api;

import io.scoria.accelerator.control.JobFailure;
import io.scoria.accelerator.control.JobRecord;
import io.scoria.accelerator.control.JobService;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code /v1/jobs} calls: list, show, cancel ({@code DELETE}). A failed job's {@code error}
 * is an RFC 9457 problem whose {@code instance} is the job. Thread-safe; {@code jobs} may be null
 * (then every call is 404: this router runs no jobs).
 */
final class JobRoutes {
    /** The kinds of job whose target is a volume (a project token sees those of its volumes). */
    static final java.util.Set<String> VOLUME_KINDS = java.util.Set.of("clone", "hydrate", "scrub");

    private final JobService jobs;

    JobRoutes(JobService jobs) {
        this.jobs = jobs;
    }

    /** The job service, or a 404 problem if this server has none. */
    JobService service() {
        if (jobs == null) {
            throw ProblemException.notFound("this router runs no jobs");
        }
        return jobs;
    }

    /** Whether this router runs jobs. */
    boolean present() {
        return jobs != null;
    }

    /** Answers {@code call}, whose path starts with {@code v1/jobs}; the list holds only the jobs {@code scope} lets the caller see. */
    Reply route(ApiCall call, ProjectScope scope) {
        JobService service = service();
        if (call.path.length == 2) {
            if (!call.method.equals("GET")) {
                throw call.methodNotAllowed();
            }
            List<ApiModel.JobView> out = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (JobRecord r : service.list()) {
                if (scope.sees(call.caller, r)) {
                    out.add(view(r, now));
                }
            }
            return Reply.json(200, out);
        }
        if (call.path.length != 3) {
            throw call.notFound();
        }
        String id = call.at(2);
        return switch (call.method) {
            case "GET" -> Reply.json(200, view(service.get(id), System.currentTimeMillis()));
            case "DELETE" -> Reply.json(202, view(service.cancel(id), System.currentTimeMillis()));
            default -> throw call.methodNotAllowed();
        };
    }

    static ApiModel.JobView view(JobRecord r, long now) {
        JobFailure f = r.failure();
        Problem error = f == null ? null : new Problem(Problem.TYPE_PREFIX + f.slug(), f.title(), f.status(), f.detail(),
                "/v1/jobs/" + r.id());
        return new ApiModel.JobView(r.id(), r.kind(), r.target(), r.params(), r.state().name().toLowerCase(java.util.Locale.ROOT),
                instant(r.createdMillis()), instant(r.startedMillis()), instant(r.finishedMillis()), r.progress(now),
                r.result(), error, r.restarts());
    }

    private static Instant instant(long millis) {
        return millis <= 0 ? null : Instant.ofEpochMilli(millis);
    }
}
