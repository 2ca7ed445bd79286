package io.scoria.accelerator.health;

import io.scoria.backend.ObjectStore;

import java.util.Objects;

/**
 * Ready while the backend answers: asks it whether a probe namespace exists (a HEAD of a bucket
 * or container, a directory look-up on fs, a manifest look-up on the distributor's stores), which
 * reads nothing and writes nothing. The answer does not matter, only that one came.
 */
public final class BackendCheck implements HealthCheck {
    static final String PROBE_NAMESPACE = "scoria-readiness-probe";
    private final ObjectStore store;

    public BackendCheck(ObjectStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public String name() {
        return "backend";
    }

    @Override
    public CheckResult check() {
        long start = System.nanoTime();
        try {
            store.namespaceExists(PROBE_NAMESPACE);
            return CheckResult.pass(name(), "backend " + store.name() + " answered in "
                    + (System.nanoTime() - start) / 1_000_000 + " ms");
        } catch (RuntimeException e) {
            return CheckResult.fail(name(), "backend " + store.name() + " is unreachable: " + e.getMessage());
        }
    }
}
