package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria volume attach|detach|attachments|wipe-check}: a volume's hosts, and what is left of a deleted one. */
final class AttachCommands {
    private AttachCommands() {
    }

    @Command(name = "attach", mixinStandardHelpOptions = true,
            description = "Attach a volume to a host: from then on only its attached hosts may use it.")
    static final class Attach extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;
        @Option(names = "--host", paramLabel = "HOST", required = true)
        String host;
        @Option(names = "--mode", paramLabel = "rw|ro", defaultValue = "rw", description = "read-write (default) or read-only")
        String mode;
        @Option(names = "--shared", description = "allow other hosts attached --shared too (cluster file systems)")
        boolean shared;

        @Override
        public void run() {
            JsonNode a = client().post("/v1/volumes/" + seg(volume) + "/attachments", new ApiModel.Attach(host, mode, shared));
            out().println("attached " + describe(a));
        }
    }

    @Command(name = "detach", mixinStandardHelpOptions = true,
            description = "Detach a volume from a host; closes that host's open sessions to it.")
    static final class Detach extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;
        @Option(names = "--host", paramLabel = "HOST", required = true)
        String host;

        @Override
        public void run() {
            JsonNode d = client().delete("/v1/volumes/" + seg(volume) + "/attachments/" + seg(host));
            out().println("detached " + volume + " from " + host + " (" + d.get("closedSessions").asInt()
                    + " open sessions closed)");
        }
    }

    @Command(name = "attachments", mixinStandardHelpOptions = true, description = "List the hosts a volume is attached to.")
    static final class ListAttachments extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;

        @Override
        public void run() {
            for (JsonNode a : client().get("/v1/volumes/" + seg(volume) + "/attachments")) {
                out().println(describe(a));
            }
        }
    }

    @Command(name = "wipe-check", mixinStandardHelpOptions = true,
            description = "Check that nothing of a deleted volume is left (backend objects, local files); exit 1 if something is.")
    static final class WipeCheck extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;

        @Override
        public void run() {
            JsonNode r = client().get("/v1/volumes/" + seg(volume) + "/wipe-check");
            boolean clean = !r.get("namespaceExists").asBoolean() && r.get("backendObjects").isEmpty()
                    && r.get("localPaths").isEmpty();
            if (clean) {
                out().println(volume + ": wiped (no backend object, no local file left)");
                return;
            }
            out().println(volume + ": NOT wiped: namespace " + (r.get("namespaceExists").asBoolean() ? "exists" : "gone")
                    + ", backend objects " + r.get("backendObjects") + ", local files " + r.get("localPaths"));
            throw new WipeIncomplete();
        }
    }

    /** The wipe check found something left: the command exits with status 1. */
    static final class WipeIncomplete extends RuntimeException {
        WipeIncomplete() {
            super("something of the deleted volume is left");
        }
    }

    static String describe(JsonNode a) {
        return a.get("volume").asText() + " -> " + a.get("host").asText() + " (" + a.get("mode").asText()
                + (a.get("shared").asBoolean() ? ", shared" : ", exclusive") + ")";
    }
}
