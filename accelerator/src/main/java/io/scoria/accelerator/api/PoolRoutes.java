package io.scoria.accelerator.api;

import io.scoria.accelerator.control.PoolPolicy;
import io.scoria.accelerator.control.Pools;

/**
 * The {@code /v1/pools} calls: list and create pools, show and delete one, {@code reset} and
 * {@code recompose} it. Answers 404 for all of them when the router runs no pools. Thread-safe
 * ({@link Pools} serialises its operations).
 */
final class PoolRoutes {
    private final Pools pools;

    /** {@code pools} may be null (no pools here). */
    PoolRoutes(Pools pools) {
        this.pools = pools;
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
                case "GET" -> Reply.json(200, pools.list());
                case "POST" -> {
                    ApiModel.CreatePool p = call.body(ApiModel.CreatePool.class);
                    if (p.size() == null) {
                        throw new IllegalArgumentException("field 'size' is required");
                    }
                    yield Reply.json(201, pools.create(VolumeRoutes.required(p.name(), "name"),
                            VolumeRoutes.required(p.template(), "template"), p.snapshot(), p.size(),
                            VolumeRoutes.required(p.prefix(), "prefix"),
                            p.policy() == null ? PoolPolicy.RESET_ON_DETACH : PoolPolicy.parse(p.policy())));
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
                    return Reply.json(200, pools.recompose(name, VolumeRoutes.required(r.template(), "template"),
                            r.snapshot(), Boolean.TRUE.equals(r.force())));
                }
                default -> {
                }
            }
        }
        throw call.notFound();
    }
}
