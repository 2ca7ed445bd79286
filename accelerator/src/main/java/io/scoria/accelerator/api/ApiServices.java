package io.scoria.accelerator.api;

import io.scoria.accelerator.cluster.ClusterControl;
import io.scoria.accelerator.control.JobService;
import io.scoria.accelerator.control.HostRegistry;
import io.scoria.accelerator.control.QosRegistry;
import io.scoria.accelerator.control.Pools;
import io.scoria.accelerator.control.SnapshotScheduler;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.volume.WipeReport;
import io.scoria.accelerator.health.Readiness;
import io.scoria.accelerator.metrics.VolumeMetrics;
import io.scoria.backend.transform.KeyRing;
import io.scoria.distributor.store.Distributor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the REST API serves beside the volumes; none of it is owned by the {@link ApiServer}.
 *
 * @param jobs        long operations ({@code /v1/jobs}, clone jobs); null: none
 * @param distributor the backend if it is a distributor ({@code /v1/distributor}); null otherwise
 * @param qos         the volumes' QoS caps, shared with the frontends
 * @param readiness   the checks behind {@code /v1/ready}
 * @param cluster     this node's cluster ({@code /v1/cluster}, {@code /v1/volumes/NAME/move}); null for a single router
 * @param volumeMeters the per-volume meters behind {@code /v1/volumes/NAME/stats}; null: not served
 * @param hosts       hosts and attachments ({@code /v1/hosts}, {@code /v1/volumes/{name}/attachments}), shared
 *                    with the frontends; null: none (those calls answer 404)
 * @param wipeCheck   what is left of a deleted volume ({@code /v1/volumes/{name}/wipe-check}); null: not offered
 * @param schedules   snapshot schedules ({@code /v1/schedules}, {@code /v1/volumes/NAME/schedule}); null: none
 * @param pools       pools of desktops ({@code /v1/pools}); told when a host detaches a volume; null: none
 * @param lifecycle   volume states and the journal of creates, clone sets, deletes, attaches and detaches; null:
 *                    the server opens its own beside the token file (over {@code hosts}) and closes it
 * @param keyRing     the backend's key ring ({@code POST /v1/backend/rotate-keys}); null: no transform section
 */
public record ApiServices(JobService jobs, Distributor distributor, QosRegistry qos, Readiness readiness,
                          ClusterControl cluster, VolumeMetrics volumeMeters, HostRegistry hosts,
                          Function<String, WipeReport> wipeCheck, SnapshotScheduler schedules, Pools pools,
                          VolumeLifecycle lifecycle, KeyRing keyRing) {
    public ApiServices {
        Objects.requireNonNull(qos, "qos");
        Objects.requireNonNull(readiness, "readiness");
    }

    /** Without per-volume meters, hosts, wipe checks and snapshot schedules. */
    public ApiServices(JobService jobs, Distributor distributor, QosRegistry qos, Readiness readiness,
                       ClusterControl cluster) {
        this(jobs, distributor, qos, readiness, cluster, null, null, null, null, null, null, null);
    }

    /** No jobs, no distributor, no cluster, no readiness checks; QoS caps in {@code qos.json} beside the token file. */
    public static ApiServices none(ApiServerConfig config) {
        return new ApiServices(null, null, QosRegistry.open(config.tokenFile().resolveSibling("qos.json")),
                new Readiness(List.of(), Duration.ofSeconds(1), Duration.ZERO), null);
    }

    public ApiServices withReadiness(Readiness r) {
        return new ApiServices(jobs, distributor, qos, r, cluster, volumeMeters, hosts, wipeCheck, schedules, pools, lifecycle, keyRing);
    }

    public ApiServices withJobs(JobService j, Distributor d) {
        return new ApiServices(j, d, qos, readiness, cluster, volumeMeters, hosts, wipeCheck, schedules, pools, lifecycle, keyRing);
    }

    public ApiServices withVolumeMeters(VolumeMetrics m) {
        return new ApiServices(jobs, distributor, qos, readiness, cluster, m, hosts, wipeCheck, schedules, pools, lifecycle, keyRing);
    }

    public ApiServices withHosts(HostRegistry h, Function<String, WipeReport> w) {
        return new ApiServices(jobs, distributor, qos, readiness, cluster, volumeMeters, h, w, schedules, pools, lifecycle, keyRing);
    }

    public ApiServices withPools(Pools p) {
        return new ApiServices(jobs, distributor, qos, readiness, cluster, volumeMeters, hosts, wipeCheck, schedules, p, lifecycle, keyRing);
    }

    public ApiServices withLifecycle(VolumeLifecycle l) {
        return new ApiServices(jobs, distributor, qos, readiness, cluster, volumeMeters, hosts, wipeCheck, schedules, pools, l, keyRing);
    }

    public ApiServices withKeyRing(KeyRing k) {
        return new ApiServices(jobs, distributor, qos, readiness, cluster, volumeMeters, hosts, wipeCheck, schedules, pools, lifecycle, k);
    }

    public ApiServices withSchedules(SnapshotScheduler s) {
        return new ApiServices(jobs, distributor, qos, readiness, cluster, volumeMeters, hosts, wipeCheck, s, pools, lifecycle, keyRing);
    }
}
