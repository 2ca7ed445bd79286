package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code scoria cluster ...}: the cluster as the node behind {@code --api} sees it in ZooKeeper. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Show the cluster's nodes and volume owners.",
        subcommands = {ClusterCommands.Status.class})
final class ClusterCommands extends CommandGroup {
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Nodes (addresses, health, volumes owned) and volumes (owner, epoch, FOC node).")
    static final class Status extends ApiCommand {
        @Override
        public void run() {
            JsonNode s = client().get("/v1/cluster");
            PrintWriter out = out();
            out.println("answered by node " + s.get("self").asText());
            out.printf("%-16s %-8s %-22s %-22s %-22s %-22s %s%n", "NODE", "HEALTH", "NBD", "ISCSI", "FOC", "API", "VOLUMES");
            for (JsonNode n : s.get("nodes")) {
                out.printf("%-16s %-8s %-22s %-22s %-22s %-22s %s%n", n.get("node").asText(), n.get("health").asText(),
                        text(n, "nbd"), text(n, "iscsi"), text(n, "foc"), text(n, "api"), join(n.get("volumes")));
            }
            out.println();
            out.printf("%-24s %-16s %8s %-16s %s%n", "VOLUME", "OWNER", "EPOCH", "FOC NODE", "FOC ADDRESS");
            for (JsonNode v : s.get("volumes")) {
                out.printf("%-24s %-16s %8d %-16s %s%n", v.get("volume").asText(), text(v, "owner"), v.get("epoch").asLong(),
                        text(v, "focNode"), text(v, "foc"));
            }
        }

        private static String text(JsonNode n, String field) {
            JsonNode f = n.get(field);
            return f == null || f.isNull() ? "-" : f.asText();
        }

        private static String join(JsonNode list) {
            StringBuilder b = new StringBuilder();
            for (JsonNode v : list) {
                b.append(b.length() == 0 ? "" : ",").append(v.asText());
            }
            return b.length() == 0 ? "-" : b.toString();
        }
    }
}
