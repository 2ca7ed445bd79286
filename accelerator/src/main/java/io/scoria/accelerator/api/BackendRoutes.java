package io.scoria.accelerator.api;

import io.scoria.accelerator.VolumeService;
import io.scoria.backend.metering.RequestLedger;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.KeyRotation;

/**
 * {@code /v1/backend/...}: the backend's request counts ({@code GET /v1/backend/requests}) and the
 * rotation of the key ring's key-encryption key ({@code POST /v1/backend/rotate-keys}, admin only),
 * which re-wraps the data keys in this router's process, serialized with its own volume deletes
 * ({@link KeyRing#rotate()}). Stateless besides what it is given; thread-safe as they are.
 */
final class BackendRoutes {
    private final VolumeService volumes;
    private final KeyRing keyRing;

    /** {@code keyRing} may be null: the backend has no {@code transform} section. */
    BackendRoutes(VolumeService volumes, KeyRing keyRing) {
        this.volumes = volumes;
        this.keyRing = keyRing;
    }

    /** Whether {@code call} is one of these routes (so it needs an admin token when it changes something). */
    static boolean handles(ApiCall call) {
        return call.path.length == 3 && call.at(0).equals("v1") && call.at(1).equals("backend");
    }

    /** Whether {@code call} is the rotation, which only an admin token may make. */
    static boolean adminOnly(ApiCall call) {
        return handles(call) && call.at(2).equals("rotate-keys");
    }

    Reply route(ApiCall call) {
        if (call.at(2).equals("requests") && call.method.equals("GET")) {
            RequestLedger ledger = volumes.backendRequests()
                    .orElseThrow(() -> ProblemException.notFound("this router's backend does not count requests"));
            return Reply.json(200, new ApiModel.BackendRequests(ledger.snapshot(), ledger.billed(null)));
        }
        if (call.at(2).equals("rotate-keys") && call.method.equals("POST")) {
            return rotate();
        }
        throw call.notFound();
    }

    private Reply rotate() {
        if (keyRing == null) {
            throw ProblemException.notFound("this router's backend has no key ring (no backend.transform section)");
        }
        KeyRotation r;
        try {
            r = keyRing.rotate();
        } catch (IllegalStateException e) {
            throw new ProblemException(409, "no-key-encryption-key", "No key-encryption key", e.getMessage());
        }
        return Reply.json(200, new ApiModel.KeyRotationResult(keyRing.where(), r.kekId(), r.rewrapped(),
                r.alreadyCurrent(), r.unopened(), r.complete()));
    }
}
