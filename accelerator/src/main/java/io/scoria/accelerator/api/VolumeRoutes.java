package io.scoria.accelerator.api;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.backend.config.Sizes;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.scoria.accelerator.control.CloneJobs;
import io.scoria.accelerator.control.HydrateJobs;
import io.scoria.accelerator.control.JobRecord;
import io.scoria.accelerator.control.VolumeLifecycle;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Objects;

/**
 * The {@code /v1/volumes} calls: volumes, resize, snapshots, changes between snapshots, rollback, templates, clones (by count:
 * a {@code clone} job), hydration (a {@code hydrate} job) and flatten of clones, and scrub results, on a
 * {@link VolumeService}. Creates, clones and deletes go through the {@link VolumeLifecycle}, and every
 * volume shown carries its lifecycle state ({@code lifecycle}). Thread-safe if the service is.
 */
final class VolumeRoutes {
    private final VolumeService volumes;
    private final ScoriaConfig.Volumes defaults;
    private final ScrubApplier scrub;
    private final JobRoutes jobs;
    private final VolumeLifecycle lifecycle;

    /**
     * {@code scrub} (may be null) serves {@code POST /v1/volumes/NAME/scrub-results}; {@code jobs}
     * runs clones by count.
     */
    VolumeRoutes(VolumeService volumes, ScoriaConfig.Volumes defaults, ScrubApplier scrub, JobRoutes jobs,
                 VolumeLifecycle lifecycle) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.scrub = scrub;
        this.jobs = Objects.requireNonNull(jobs, "jobs");
    }

    /** Answers {@code call}, whose path starts with {@code v1/volumes}. */
    Reply route(ApiCall call) {
        String method = call.method;
        int depth = call.path.length;
        if (depth == 2) {
            return switch (method) {
                case "GET" -> page(call);
                case "POST" -> Reply.json(201, view(create(call, call.body(ApiModel.CreateVolume.class))));
                default -> throw call.methodNotAllowed();
            };
        }
        String name = call.at(2);
        if (depth == 3) {
            return switch (method) {
                case "GET" -> Reply.json(200, detail(name));
                case "DELETE" -> {
                    lifecycle.delete(name);
                    yield Reply.noContent();
                }
                default -> throw call.methodNotAllowed();
            };
        }
        String action = call.at(3);
        if (action.equals("snapshots")) {
            return snapshots(call, name);
        }
        if (depth == 4 && action.equals("changes")) {
            if (!method.equals("GET")) {
                throw call.methodNotAllowed();
            }
            return Reply.json(200, changes(call, name));
        }
        if (depth == 4 && method.equals("POST")) {
            switch (action) {
                case "rollback" -> {
                    ApiModel.Rollback req = call.body(ApiModel.Rollback.class);
                    volumes.open(name).rollback(required(req.snapshot(), "snapshot"));
                    return Reply.json(200, detail(name));
                }
                case "resize" -> {
                    ApiModel.Resize req = call.body(ApiModel.Resize.class);
                    long size = Sizes.parse("size", required(req.size(), "size"));
                    return Reply.json(200, volumes.resize(name, size, Boolean.TRUE.equals(req.force())));
                }
                case "template" -> {
                    return Reply.json(200, volumes.makeTemplate(name));
                }
                case "reset" -> {
                    return Reply.json(200, volumes.resetToParent(name));
                }
                case "hydrate" -> {
                    ApiModel.Hydrate req = call.body(ApiModel.Hydrate.class);
                    JobRecord job = jobs.service().submit("hydrate", name, HydrateJobs.params(name, req.rate()));
                    return Reply.accepted(JobRoutes.view(job, System.currentTimeMillis()));
                }
                case "flatten" -> {
                    return Reply.json(200, volumes.flatten(name));
                }
                case "clones" -> {
                    return clones(name, call.body(ApiModel.CreateClones.class));
                }
                case "scrub-results" -> {
                    if (scrub == null) {
                        throw ProblemException.notFound("this router does not apply scrub results");
                    }
                    return Reply.json(200, scrub.applyPending(name));
                }
                default -> {
                }
            }
        }
        throw call.notFound();
    }

    /** Most ranges one changes call answers (about 40 bytes of JSON each). */
    static final int MAX_CHANGE_RANGES = 100_000;

    /**
     * {@code GET /v1/volumes[?limit=N][&after=NAME]}: up to {@code limit} volumes (default
     * {@link VolumeService#DEFAULT_PAGE}, at most {@link VolumeService#MAX_PAGE}) whose names sort after
     * {@code after}, in name order, as a JSON array; when the page is full, a {@code Link} header with
     * {@code rel="next"} names the next page (after the last name returned: a cursor that volumes created
     * or deleted meanwhile do not shift).
     */
    private Reply page(ApiCall call) {
        String l = call.query("limit");
        int limit;
        try {
            limit = l == null ? VolumeService.DEFAULT_PAGE : Integer.parseInt(l);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > VolumeService.MAX_PAGE) {
            throw ProblemException.badRequest("query parameter 'limit' must be a whole number from 1 to "
                    + VolumeService.MAX_PAGE + ": " + l);
        }
        String after = call.query("after");
        if (after != null && after.isEmpty()) {
            throw ProblemException.badRequest("query parameter 'after' must be a volume name (the last one of the"
                    + " previous page), not empty");
        }
        List<VolumeInfo> page = page(call.caller, after, limit);
        List<ObjectNode> shown = page.stream().map(this::view).toList();
        if (page.size() < limit) {
            return Reply.json(200, shown);
        }
        String last = page.get(page.size() - 1).name();
        return new Reply(200, shown, Reply.JSON, java.util.Map.of("Link", "</v1/volumes?limit=" + limit + "&after="
                + java.net.URLEncoder.encode(last, java.nio.charset.StandardCharsets.UTF_8) + ">; rel=\"next\""));
    }

    /**
     * Up to {@code limit} volumes {@code caller} may see whose names sort after {@code after}: the service's
     * pages, filtered by project, until {@code limit} are found or the service has no more.
     */
    private List<VolumeInfo> page(TokenInfo caller, String after, int limit) {
        if (caller.allProjects()) {
            return volumes.list(after, limit);
        }
        List<VolumeInfo> out = new java.util.ArrayList<>();
        String from = after;
        while (out.size() < limit) {
            List<VolumeInfo> next = volumes.list(from, limit);
            for (VolumeInfo v : next) {
                if (out.size() < limit && caller.reaches(lifecycle.project(v))) {
                    out.add(v);
                }
            }
            if (next.size() < limit) {
                break;
            }
            from = next.get(next.size() - 1).name();
        }
        return out;
    }

    /**
     * {@code GET /v1/volumes/NAME/changes?from=S1&to=S2[&start=BYTES][&length=BYTES][&limit=N]}: the ranges
     * changed between two snapshots; the window defaults to the whole volume (at most 2 TiB per call at
     * 4 KiB clusters), the limit to {@link #MAX_CHANGE_RANGES}.
     */
    private io.scoria.accelerator.ChangedRanges changes(ApiCall call, String name) {
        String from = call.query("from");
        String to = call.query("to");
        if (from == null || to == null || from.isBlank() || to.isBlank()) {
            throw ProblemException.badRequest("query parameters 'from' and 'to' (snapshot names) are required");
        }
        long start = size(call.query("start"), "start", 0);
        long length = size(call.query("length"), "length", Long.MAX_VALUE - start);
        String l = call.query("limit");
        int limit;
        try {
            limit = l == null ? MAX_CHANGE_RANGES : Integer.parseInt(l);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_CHANGE_RANGES) {
            throw ProblemException.badRequest("query parameter 'limit' must be 1.." + MAX_CHANGE_RANGES + ": " + l);
        }
        return volumes.changes(name, from, to, start, length, limit);
    }

    private static long size(String value, String what, long absent) {
        if (value == null) {
            return absent;
        }
        try {
            return Sizes.parse(what, value);
        } catch (RuntimeException e) {
            throw ProblemException.badRequest("query parameter '" + what + "' is not a size in bytes: " + value);
        }
    }

    private Reply snapshots(ApiCall call, String name) {
        if (call.path.length == 4) {
            return switch (call.method) {
                case "GET" -> Reply.json(200, volumes.open(name).listSnapshots());
                case "POST" -> {
                    ApiModel.CreateSnapshot req = call.body(ApiModel.CreateSnapshot.class);
                    yield Reply.json(201, volumes.open(name).snapshot(required(req.name(), "name")));
                }
                default -> throw call.methodNotAllowed();
            };
        }
        String snapshot = call.at(4);
        if (call.path.length == 5 && call.method.equals("DELETE")) {
            volumes.open(name).deleteSnapshot(snapshot);
            return Reply.noContent();
        }
        if (call.path.length == 5 && call.method.equals("GET")) {
            for (SnapshotInfo s : volumes.open(name).listSnapshots()) {
                if (s.name().equals(snapshot)) {
                    return Reply.json(200, s);
                }
            }
            throw new VolumeNotFoundException("volume " + name + " has no snapshot " + snapshot);
        }
        throw call.notFound();
    }

    private VolumeInfo create(ApiCall call, ApiModel.CreateVolume req) {
        String name = required(req.name(), "name");
        long size = Sizes.parse("size", required(req.size(), "size"));
        VolumeSpec base = defaults.spec(size);
        int cluster = req.clusterSize() == null ? base.clusterSize() : (int) Sizes.parse("clusterSize", req.clusterSize());
        int sco = req.scoSize() == null ? base.scoSize() : (int) Sizes.parse("scoSize", req.scoSize());
        return lifecycle.create(name, new VolumeSpec(size, cluster, sco, req.compression(), req.encryption()),
                call.projectFor(req.project()));
    }

    private ApiModel.VolumeDetail detail(String name) {
        VolumeInfo info = volumes.info(name).orElseThrow(() -> new VolumeNotFoundException("no volume " + name));
        var ledger = volumes.backendRequests();
        return new ApiModel.VolumeDetail(info, lifecycle.state(info).wireName(), lifecycle.project(info),
                info.spec().sizeBytes(), volumes.open(name).listSnapshots(),
                ledger.map(l -> l.byStore(info.namespace())).orElse(null),
                ledger.map(l -> l.billed(info.namespace())).orElse(null));
    }

    /** One clone by name (201, made now), or {@code count} clones by prefix as a job (202). */
    private Reply clones(String parent, ApiModel.CreateClones req) {
        if (req.name() != null) {
            if (req.count() != null || req.prefix() != null) {
                throw new IllegalArgumentException("give either name, or count and prefix");
            }
            return Reply.json(201, lifecycle.cloneSet(parent, req.snapshot(), List.of(req.name()),
                    VolumeLifecycle.CloneProgress.NONE).stream().map(this::view).toList());
        }
        int count = req.count() == null ? 1 : req.count();
        String prefix = required(req.prefix(), "prefix (or name)");
        JobRecord job = jobs.service().submit("clone", parent, CloneJobs.params(parent, req.snapshot(), prefix, count));
        return Reply.accepted(JobRoutes.view(job, System.currentTimeMillis()));
    }

    /** A volume as the list shows it: its {@link VolumeInfo} fields, {@code lifecycle} and {@code project}. */
    private ObjectNode view(VolumeInfo info) {
        ObjectNode n = Json.mapper().valueToTree(info);
        n.put("lifecycle", lifecycle.state(info).wireName());
        n.put("project", lifecycle.project(info));
        return n;
    }

    static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("field '" + field + "' is required");
        }
        return value;
    }
}
