package io.scoria.accelerator.api;

import io.scoria.accelerator.control.HostRegistry;
import io.scoria.accelerator.control.JobRecord;
import io.scoria.accelerator.control.Pools;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.control.VolumeState;

import java.util.Objects;
import java.util.Set;

/**
 * Tenancy of the REST API: what a token of one project may reach. Such a token reaches the volumes
 * ({@code /v1/volumes/...}), hosts ({@code /v1/hosts/...}), pools ({@code /v1/pools/...}), jobs on volumes
 * and tokens of its project only: a volume, host, pool, job or token of another project answers 404 exactly
 * as a name that does not exist, so no project learns what another has (a deleted name belongs to no project:
 * any token may ask its wipe check). Cluster-wide calls (nodes, cluster, moving a volume to another node,
 * distributor, schedules of the router, backend requests, metrics) need a token of every project (403). Lists are
 * filtered by the routes themselves ({@link #sees}). A token of every project passes unchecked.
 * Stateless apart from its collaborators; thread-safe.
 */
final class ProjectScope {
    /** Top-level resources a project token may call (each then checked by name). */
    private static final Set<String> PROJECT_RESOURCES = Set.of("volumes", "hosts", "pools", "tokens", "jobs");

    private final VolumeLifecycle lifecycle;
    private final HostRegistry hosts;
    private final Pools pools;
    private final JobRoutes jobs;

    /** {@code hosts} and {@code pools} may be null (no hosts kept, no pools run). */
    ProjectScope(VolumeLifecycle lifecycle, HostRegistry hosts, Pools pools, JobRoutes jobs) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.hosts = hosts;
        this.pools = pools;
        this.jobs = Objects.requireNonNull(jobs, "jobs");
    }

    /** Throws 403 or 404 unless {@code call}'s token may make it as far as its project goes. */
    void check(ApiCall call) {
        TokenInfo caller = call.caller;
        if (caller.allProjects()) {
            return;
        }
        if (!call.at(0).equals("v1") || !PROJECT_RESOURCES.contains(call.at(1))) {
            throw clusterWide(caller);
        }
        if (call.path.length < 3) {
            return;
        }
        String name = call.at(2);
        switch (call.at(1)) {
            case "volumes" -> {
                if (call.at(3).equals("move")) {
                    throw clusterWide(caller);
                }
                boolean wipeCheckOfDeleted = call.at(3).equals("wipe-check")
                        && lifecycle.state(name) == VolumeState.DELETED; // a deleted name belongs to no project
                if (!caller.reaches(lifecycle.project(name)) && !wipeCheckOfDeleted) {
                    throw ProblemException.notFound("no volume " + name);
                }
                if (call.path.length == 5 && call.at(3).equals("attachments")) {
                    host(caller, call.at(4));
                }
            }
            case "hosts" -> host(caller, name);
            case "pools" -> {
                if (pools != null && pools.project(name).filter(p -> !caller.reaches(p)).isPresent()) {
                    throw ProblemException.notFound("no pool " + name);
                }
            }
            case "jobs" -> {
                if (jobs.present() && !sees(caller, jobs.service().get(name))) {
                    throw ProblemException.notFound("no job " + name);
                }
            }
            default -> {
                // tokens: TokenRoutes answers only the caller's project's tokens
            }
        }
    }

    private static ProblemException clusterWide(TokenInfo caller) {
        return new ProblemException(403, "forbidden", "Forbidden", "a token of project " + caller.project()
                + " may not make cluster-wide calls; they need a token of every project");
    }

    /** Throws 404 unless {@code caller} may use host {@code name} (or no such host exists: the route says so). */
    void host(TokenInfo caller, String name) {
        if (hosts != null && hosts.hosts().stream().anyMatch(h -> h.name().equals(name) && !caller.reaches(h.project()))) {
            throw ProblemException.notFound("no host " + name);
        }
    }

    /** Whether {@code caller} may see volume {@code volume}. */
    boolean sees(TokenInfo caller, String volume) {
        return caller.reaches(lifecycle.project(volume));
    }

    /** Whether {@code caller} may see {@code job}: one on a volume of its project. */
    boolean sees(TokenInfo caller, JobRecord job) {
        return caller.allProjects() || JobRoutes.VOLUME_KINDS.contains(job.kind()) && sees(caller, job.target());
    }
}
