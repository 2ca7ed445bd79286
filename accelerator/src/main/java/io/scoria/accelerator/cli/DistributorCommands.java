package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;

/**
 * {@code scoria distributor status|repair|rebalance|reencode}: the router's distributor backend.
 * The three operations run as jobs; {@code --wait} follows one to its end.
 */
@Command(name = "distributor", mixinStandardHelpOptions = true,
        description = "Status, repair, rebalance and re-encode of the router's distributor backend.",
        subcommands = {DistributorCommands.Status.class, DistributorCommands.Repair.class,
                DistributorCommands.Rebalance.class, DistributorCommands.Reencode.class})
final class DistributorCommands extends CommandGroup {
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Stores and their health, fragments per store, objects below full redundancy.")
    static final class Status extends ApiCommand {
        @Override
        public void run() {
            JsonNode view = client().get("/v1/distributor");
            JsonNode s = view.get("status");
            var out = out();
            out.println("policy " + s.get("policy").asText() + ", " + s.get("namespaces").asLong() + " namespaces, "
                    + s.get("objects").asLong() + " objects");
            out.printf("%-20s %-16s %-12s %10s %12s%n", "STORE", "DOMAIN", "HEALTH", "FRAGMENTS", "BYTES");
            for (JsonNode st : s.get("stores")) {
                boolean draining = st.path("draining").asBoolean(false);
                out.printf("%-20s %-16s %-12s %10d %12d%s%s%n", st.get("name").asText(), st.get("failureDomain").asText(),
                        st.get("health").asText().toLowerCase(java.util.Locale.ROOT), st.get("fragments").asLong(),
                        st.get("bytes").asLong(), draining ? (st.get("fragments").asLong() == 0
                                ? "  draining: empty, may leave the config" : "  draining: run scoria distributor rebalance") : "",
                        st.hasNonNull("error") ? "  " + st.get("error").asText() : "");
            }
            if (view.get("fullRedundancy").asBoolean()) {
                out.println("full redundancy: every object has all its fragments");
            } else {
                out.println("DEGRADED: " + s.get("objectsDegraded").asLong() + " objects below full redundancy, "
                        + s.get("objectsUnreadable").asLong() + " unreadable, " + s.get("fragmentsMissing").asLong()
                        + " fragments missing; run: scoria distributor repair --wait");
            }
        }
    }

    abstract static class Operation extends ApiCommand {
        @Option(names = "--wait", description = "follow the job until it ends (progress bar on a terminal)")
        boolean wait;

        void start(String op, Map<String, String> body) {
            JsonNode job = JobCommands.started(this, client().post("/v1/distributor/" + op, body), wait);
            if (wait) {
                JsonNode r = job.get("result");
                out().println(op + " done: " + r.get("objects").asLong() + " objects, " + r.get("fragmentsMissing").asLong()
                        + " fragments missing, " + r.get("fragmentsRebuilt").asLong() + " rebuilt, "
                        + r.get("fragmentsMoved").asLong() + " moved, " + r.get("objectsReencoded").asLong() + " re-encoded");
            }
        }
    }

    @Command(name = "repair", mixinStandardHelpOptions = true,
            description = "Verify every fragment; rebuild missing or corrupt ones, refill stores that came back empty.")
    static final class Repair extends Operation {
        @Override
        public void run() {
            start("repair", Map.of());
        }
    }

    @Command(name = "rebalance", mixinStandardHelpOptions = true,
            description = "Repair, and move fragments to the current placement (after adding stores).")
    static final class Rebalance extends Operation {
        @Override
        public void run() {
            start("rebalance", Map.of());
        }
    }

    @Command(name = "reencode", mixinStandardHelpOptions = true,
            description = "Rewrite every object with another policy, one object at a time.")
    static final class Reencode extends Operation {
        @Option(names = "--policy", required = true, paramLabel = "X+P", description = "data+parity, e.g. 8+3")
        String policy;

        @Override
        public void run() {
            start("reencode", Map.of("policy", policy));
        }
    }
}
