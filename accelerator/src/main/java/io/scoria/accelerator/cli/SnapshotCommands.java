package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria snapshot ...}: create, list and delete snapshots. */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Create, list and delete snapshots.",
        subcommands = {SnapshotCommands.Create.class, SnapshotCommands.ListSnapshots.class,
                SnapshotCommands.Delete.class})
final class SnapshotCommands extends CommandGroup {
    @Command(name = "create", mixinStandardHelpOptions = true, description = "Take a snapshot of a volume.")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;
        @Parameters(index = "1", paramLabel = "SNAPSHOT")
        String name;

        @Override
        public void run() {
            JsonNode s = client().post("/v1/volumes/" + seg(volume) + "/snapshots", new ApiModel.CreateSnapshot(name));
            out().println("created snapshot " + s.get("name").asText() + " of " + volume);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List a volume's snapshots.")
    static final class ListSnapshots extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;

        @Override
        public void run() {
            var out = out();
            out.printf("%-24s %8s %-28s %s%n", "NAME", "ID", "CREATED", "ON BACKEND");
            for (JsonNode s : client().get("/v1/volumes/" + seg(volume) + "/snapshots")) {
                out.printf("%-24s %8d %-28s %s%n", s.get("name").asText(), s.get("id").asLong(),
                        s.get("created").asText(), s.get("onBackend").asBoolean() ? "yes" : "no");
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a snapshot.")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;
        @Parameters(index = "1", paramLabel = "SNAPSHOT")
        String name;

        @Override
        public void run() {
            client().delete("/v1/volumes/" + seg(volume) + "/snapshots/" + seg(name));
            out().println("deleted snapshot " + name + " of " + volume);
        }
    }
}
