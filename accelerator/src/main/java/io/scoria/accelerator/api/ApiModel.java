package io.scoria.accelerator.api;

import io.scoria.backend.metering.RequestCounts;
import io.scoria.backend.metering.RequestLedger;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeInfo;

import java.util.List;

/** Request and response bodies of the management API (see {@code openapi.yaml}). */
public final class ApiModel {
    private ApiModel() {
    }

    /**
     * {@code size}: bytes or a size with a unit ({@code 20GiB}); cluster and SCO sizes optional;
     * {@code compression} ({@code none | lz4 | zstd[:level]}) and {@code encryption}
     * ({@code none | aes-256-gcm}) optional, by default the backend's; {@code project} optional, by
     * default the caller's token's (a token of every project: {@code default}).
     */
    public record CreateVolume(String name, String size, String clusterSize, String scoSize, String compression,
                               String encryption, String project) {
        public CreateVolume(String name, String size, String clusterSize, String scoSize) {
            this(name, size, clusterSize, scoSize, null, null, null);
        }
    }

    /** Body of {@code PUT /v1/volumes/{name}/qos}: caps per second (absent or 0: uncapped) and the burst. */
    public record SetQos(Long iops, Long readIops, Long writeIops, Long bandwidth, Long readBandwidth,
                         Long writeBandwidth, Double burstSeconds) {
    }

    /** {@code POST /v1/volumes/NAME/resize}: the new size ({@code 40GiB}); {@code force} allows a shrink. */
    public record Resize(String size, Boolean force) {
    }

    public record CreateSnapshot(String name) {
    }

    public record Rollback(String snapshot) {
    }

    /** {@code POST /v1/volumes/NAME/move}: the node to hand the volume to. */
    public record Move(String to) {
    }

    /**
     * Either {@code name} (one clone) or {@code count} and {@code prefix} (clones named
     * prefix1..prefixN); {@code snapshot} null means the template's or the latest snapshot.
     */
    public record CreateClones(String name, Integer count, String prefix, String snapshot) {
    }

    /** {@code POST /v1/volumes/NAME/hydrate}: {@code rate} bytes copied per second (human units; null: the default, 0: no limit). */
    public record Hydrate(String rate) {
    }

    /** {@code POST /v1/pools}: policy {@code reset-on-detach} (default) or {@code persistent}; snapshot null: the latest. */
    public record CreatePool(String name, String template, String snapshot, Integer size, String prefix, String policy,
                             String project) {
    }

    /** {@code POST /v1/pools/NAME/recompose}: the new template version; force: also for a persistent pool. */
    public record Recompose(String template, String snapshot, Boolean force) {
    }

    /**
     * A volume as {@code GET /v1/volumes/NAME} shows it. {@code lifecycle}: its
     * {@link io.scoria.accelerator.control.VolumeState} ({@code available}, ...); {@code project}: the project it belongs to. {@code backendRequests}: the requests
     * and bytes each backend store counted for the volume's namespace since the router started,
     * by store label; {@code billedRequests}: their sum over the stores a provider bills (under a
     * distributor, its stores); both null when the backend does not count.
     */
    public record VolumeDetail(VolumeInfo volume, String lifecycle, String project, long sizeBytes, List<SnapshotInfo> snapshots,
                               java.util.Map<String, RequestCounts> backendRequests, RequestCounts billedRequests) {
    }

    /**
     * {@code GET /v1/backend/requests}: every (store, namespace) pair's counts, and the billed
     * sum over all namespaces.
     */
    public record BackendRequests(List<RequestLedger.Entry> stores, RequestCounts billed) {
    }

    /**
     * {@code POST /v1/backend/rotate-keys}: where the key ring is, the id of the key-encryption key
     * every data key is wrapped by after a complete pass, what the pass did, and per volume it left
     * alone why (no configured key-encryption key unwraps its key, or the record is damaged; never a key).
     */
    public record KeyRotationResult(String keyRing, String kekId, int rewrapped, int alreadyCurrent,
                                    java.util.Map<String, String> unopened, boolean complete) {
    }

    /**
     * {@code role}: {@code admin}, {@code operator} or {@code viewer}; {@code project}: a project name or
     * {@code *} (every project), by default the caller's token's (a token of every project: {@code default}).
     */
    public record CreateToken(String role, String project) {
    }

    /** A new token: the only answer that carries its secret; {@code toString} hides it. */
    public record CreatedToken(String id, Role role, java.time.Instant created, String project, String token) {
        @Override
        public String toString() {
            return "CreatedToken[id=" + id + ", role=" + role.wireName() + ", created=" + created + ", project=" + project
                    + ", token=redacted]";
        }
    }

    /**
     * A job: what runs ({@code kind} on {@code target} with {@code params}), its {@code state}
     * ({@code queued}, {@code running}, {@code succeeded}, {@code failed}, {@code cancelled}),
     * progress with rates and ETA, the result once done and, if it failed, the reason as a problem.
     */
    public record JobView(String id, String kind, String target, java.util.Map<String, String> params, String state,
                          java.time.Instant created, java.time.Instant started, java.time.Instant finished,
                          io.scoria.accelerator.control.JobProgress progress, com.fasterxml.jackson.databind.JsonNode result,
                          Problem error, int restarts) {
    }

    /** The distributor's status and whether every object has all its fragments on answering stores. */
    public record DistributorView(io.scoria.distributor.DistributorStatus status, boolean fullRedundancy) {
    }

    /**
     * Body of {@code POST /v1/hosts}: exactly one of {@code certificate} (PEM text, pinned by its
     * SHA-256), {@code certificateIdentity} (a subject CN or DNS name) and {@code address} (CIDR);
     * {@code iqn} and {@code chapSecret} (12-255 characters, needs iqn) optional; {@code project} optional,
     * by default the caller's token's (a token of every project: {@code default}).
     */
    public record AddHost(String name, String certificate, String certificateIdentity, String address, String iqn,
                          String chapSecret, String project) {
        @Override
        public String toString() {
            return "AddHost[" + name + "]"; // never the CHAP secret
        }
    }

    /** A host as the API shows it: how it is identified, whether it has a CHAP secret (never the secret), its volumes. */
    public record HostView(String name, String certificateSha256, String certificateSubject, String certificateIdentity,
                           String address, String iqn, boolean chap, List<String> volumes, String project) {
    }

    /** Body of {@code POST /v1/volumes/{name}/attachments}: {@code mode} rw (default) or ro; {@code shared} false by default. */
    public record Attach(String host, String mode, Boolean shared) {
    }

    /** An attachment of a volume to a host. */
    public record AttachmentView(String volume, String host, String mode, boolean shared) {
    }

    /** Answer of a detach: how many open sessions of that host to the volume were closed. */
    public record Detached(String volume, String host, int closedSessions) {
    }
}
