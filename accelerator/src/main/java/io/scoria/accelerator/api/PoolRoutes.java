package io.scoria.accelerator.api;

import io.scoria.accelerator.control.PoolPolicy;
import io.scoria.accelerator.control.Pools;
import io.scoria.accelerator.control.VolumeLifecycle;

import java.util.Objects;

/**
 * The {@code /v1/pools} calls: list and create pools, show and delete one, {@code reset} and
 * {@code recompose} it. Answers 404 for all of them when the router runs no pools. A pool belongs to a
 * project (its desktops too): a token of a project lists its project's pools only ({@link ProjectScope}
 * answers 404 for another's by name), makes pools only in its project, and only of templates it sees (a
 * template of another project is 404 as a missing one). Thread-safe ({@link Pools} serialises its operations).
 */
final class PoolRoutes {
    private final Pools pools;
    private final VolumeLifecycle lifecycle;

    /** {@code pools} may be null (no pools here). */
    PoolRoutes(Pools pools, VolumeLifecycle lifecycle) {
        this.pools = pools;
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    }

    /** True for calls under {@code /v1/pools}. */
    static boolean handles(ApiCall call) {
        return call.path.length >= 2 && call.at(0).equals("v1") && call.at(1).equals("pools");
    }

    Reply route(ApiCall call) {
        if (pools == null) {
            throw ProblemException.notFound("this router runs no pools");
        }
        int depth = call.path.length;
        if (depth == 2) {
            return switch (call.method) {
                case "GET" -> Reply.json(200, pools.list().stream()
                        .filter(p -> call.caller.reaches(p.pool().project())).toList());
                case "POST" -> {
                    ApiModel.CreatePool p = call.body(ApiModel.CreatePool.class);
                    if (p.size() == null) {
                        throw new IllegalArgumentException("field 'size' is required");
                    }
                    String project = call.projectFor(p.project());
                    yield Reply.json(201, pools.create(VolumeRoutes.required(p.name(), "name"),
                            template(call, p.template()), p.snapshot(), p.size(),
                            VolumeRoutes.required(p.prefix(), "prefix"),
                            p.policy() == null ? PoolPolicy.RESET_ON_DETACH : PoolPolicy.parse(p.policy()), project));
                }
                default -> throw call.methodNotAllowed();
            };
        }
        String name = call.at(2);
        if (depth == 3) {
            return switch (call.method) {
                case "GET" -> Reply.json(200, pools.status(name));
                case "DELETE" -> {
                    pools.delete(name);
                    yield Reply.noContent();
                }
                default -> throw call.methodNotAllowed();
            };
        }
        if (depth == 4 && call.method.equals("POST")) {
            switch (call.at(3)) {
                case "reset" -> {
                    return Reply.json(200, pools.reset(name));
                }
                case "recompose" -> {
                    ApiModel.Recompose r = call.body(ApiModel.Recompose.class);
                    return Reply.json(200, pools.recompose(name, template(call, r.template()),
                            r.snapshot(), Boolean.TRUE.equals(r.force())));
                }
                default -> {
                }
            }
        }
        throw call.notFound();
    }

    /** The required template name {@code name}, 404 (as for a missing one) if the caller does not see it. */
    private String template(ApiCall call, String name) {
        String template = VolumeRoutes.required(name, "template");
        if (!call.caller.reaches(lifecycle.project(template))) {
            throw ProblemException.notFound("no template " + template);
        }
        return template;
    }
}
