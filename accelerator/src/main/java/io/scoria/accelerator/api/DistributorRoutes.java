package io.scoria.accelerator.api;

import io.scoria.accelerator.control.JobService;
import io.scoria.distributor.DistributorStatus;
import io.scoria.distributor.store.Distributor;

import java.util.Map;

/**
 * The {@code /v1/distributor} calls, when the router's backend is a distributor:
 * {@code GET} its status (a survey of stores and objects), {@code POST .../repair},
 * {@code .../rebalance}, {@code .../reencode} ({@code {"policy": "8+3"}}) start jobs (202).
 * Without a distributor every call is 404. Thread-safe.
 */
final class DistributorRoutes {
    private final Distributor distributor;
    private final JobRoutes jobs;

    DistributorRoutes(Distributor distributor, JobRoutes jobs) {
        this.distributor = distributor;
        this.jobs = jobs;
    }

    Reply route(ApiCall call) {
        if (distributor == null) {
            throw ProblemException.notFound("this router's backend is not a distributor");
        }
        if (call.path.length == 2) {
            if (!call.method.equals("GET")) {
                throw call.methodNotAllowed();
            }
            DistributorStatus s = distributor.status();
            return Reply.json(200, new ApiModel.DistributorView(s, s.fullRedundancy()));
        }
        if (call.path.length == 3 && call.method.equals("POST")) {
            String op = call.at(2);
            if (op.equals("repair") || op.equals("rebalance") || op.equals("reencode")) {
                Map<String, String> params = call.optionalBody();
                JobService service = jobs.service();
                return Reply.accepted(JobRoutes.view(service.submit(op, "distributor", params), System.currentTimeMillis()));
            }
        }
        throw call.notFound();
    }
}
