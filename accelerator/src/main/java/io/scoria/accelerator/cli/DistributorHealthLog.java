package io.scoria.accelerator.cli;

import io.scoria.distributor.DistributorStatus;
import io.scoria.distributor.store.Distributor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start-up, surveys the distributor backend once on a background thread and logs what is
 * degraded (stores unavailable or come back empty, objects below full redundancy) with the
 * command that fixes it, so a router that starts on a degraded distributor says so instead of
 * refusing to start. Never fails the start.
 */
final class DistributorHealthLog {
    private static final Logger LOG = LoggerFactory.getLogger(DistributorHealthLog.class);

    private DistributorHealthLog() {
    }

    static void start(Distributor distributor) {
        Thread t = new Thread(() -> {
            try {
                DistributorStatus s = distributor.status();
                if (s.fullRedundancy()) {
                    LOG.info("distributor {}: all {} stores answer, {} objects at full redundancy", s.policy(),
                            s.stores().size(), s.objects());
                    return;
                }
                for (DistributorStatus.Store store : s.stores()) {
                    if (store.health() != DistributorStatus.Health.OK) {
                        LOG.warn("distributor store {} is {}{}", store.name(), store.health().name().toLowerCase(java.util.Locale.ROOT),
                                store.error() == null ? " (lacks " + store.namespacesMissing() + " namespaces)" : ": " + store.error());
                    }
                }
                LOG.warn("distributor {} is degraded: {} of {} objects below full redundancy, {} unreadable, {} fragments"
                        + " missing; run 'scoria distributor repair --wait' once the stores are back", s.policy(),
                        s.objectsDegraded(), s.objects(), s.objectsUnreadable(), s.fragmentsMissing());
            } catch (RuntimeException e) {
                LOG.warn("could not survey the distributor at start-up: {}", e.getMessage());
            }
        }, "scoria-distributor-survey");
        t.setDaemon(true);
        t.start();
    }
}
