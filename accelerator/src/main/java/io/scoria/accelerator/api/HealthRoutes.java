package io.scoria.accelerator.api;

import io.scoria.accelerator.health.CheckResult;
import io.scoria.accelerator.health.Readiness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /v1/health} (liveness: the process answers HTTP; nothing else is looked at, so a
 * backend outage never gets a router restarted) and {@code GET /v1/ready} (readiness: every
 * {@link Readiness} check passed). Both are public, for load balancers and orchestrators without
 * tokens. Not ready is HTTP 503 with an RFC 9457 problem whose {@code checks} member lists every
 * check with {@code ok}; what a check found ({@code detail}: backend errors, addresses, free
 * space) is only shown to callers with a valid token. Thread-safe.
 */
final class HealthRoutes {
    private final Readiness readiness;

    HealthRoutes(Readiness readiness) {
        this.readiness = Objects.requireNonNull(readiness, "readiness");
    }

    Reply health() {
        return Reply.json(200, Map.of("status", "ok"));
    }

    Reply ready(String path, boolean withDetails) {
        Readiness.Report report = readiness.check();
        List<Map<String, Object>> checks = new ArrayList<>();
        for (CheckResult c : report.checks()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("ok", c.ok());
            if (withDetails) {
                m.put("detail", c.detail());
            }
            checks.add(m);
        }
        if (report.ready()) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "ready");
            body.put("checks", checks);
            return Reply.json(200, body);
        }
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", Problem.TYPE_PREFIX + "not-ready");
        problem.put("title", "Not ready");
        problem.put("status", 503);
        problem.put("detail", "failing checks: " + String.join(", ", report.failing().stream().map(CheckResult::name)
                .toList()) + (withDetails ? "" : " (send a token for what each check found)"));
        problem.put("instance", path);
        problem.put("checks", checks);
        return new Reply(503, problem, Problem.MEDIA_TYPE);
    }
}
