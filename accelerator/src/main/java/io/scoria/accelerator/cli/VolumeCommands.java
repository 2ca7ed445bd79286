package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import io.scoria.backend.config.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Map;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria volume ...}: create, list, inspect, delete, resize, roll back, reset and move volumes. */
@Command(name = "volume", mixinStandardHelpOptions = true, description = "Create, list, inspect and delete volumes.",
        subcommands = {VolumeCommands.Create.class, VolumeCommands.ListVolumes.class, VolumeCommands.Info.class,
                VolumeCommands.Delete.class, VolumeCommands.Resize.class, VolumeCommands.Rollback.class,
                VolumeCommands.Reset.class, QosCommand.class, ChangesCommand.class, AttachCommands.Attach.class,
                AttachCommands.Detach.class, AttachCommands.ListAttachments.class, AttachCommands.WipeCheck.class,
                ScheduleCommand.class, SpaceCommand.class, MoveCommand.class})
final class VolumeCommands extends CommandGroup {
    static String describe(JsonNode v) {
        JsonNode s = v.get("spec");
        return v.get("name").asText() + " (" + Sizes.format(s.get("sizeBytes").asLong()) + ", cluster "
                + Sizes.format(s.get("clusterSize").asLong()) + ", SCO " + Sizes.format(s.get("scoSize").asLong())
                + (s.hasNonNull("compression") ? ", compression " + s.get("compression").asText() + ", encryption "
                + s.get("encryption").asText() : "")
                + (v.get("template").asBoolean() ? ", template" : "")
                + (v.hasNonNull("parent") ? ", clone of " + v.get("parent").asText() + "@"
                + v.get("parentSnapshot").asText() : "") + ")";
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an empty volume.")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "volume name (also its NBD export name)")
        String name;
        @Option(names = "--size", required = true, paramLabel = "SIZE", description = "size, e.g. 20GiB")
        String size;
        @Option(names = "--cluster-size", paramLabel = "SIZE", description = "4KiB to 64KiB (default from the server)")
        String clusterSize;
        @Option(names = "--sco-size", paramLabel = "SIZE", description = "1MiB to 256MiB (default from the server, by backend type)")
        String scoSize;
        @Option(names = "--compression", paramLabel = "ALG",
                description = "none, lz4 or zstd[:level] for the volume's backend objects (default from the backend config)")
        String compression;
        @Option(names = "--encryption", paramLabel = "ALG",
                description = "none or aes-256-gcm for the volume's backend objects (default from the backend config)")
        String encryption;
        @Option(names = "--project", paramLabel = "PROJECT",
                description = "the project the volume belongs to (default: the token's project; for a token of every"
                        + " project, default); volume names are unique across projects")
        String project;

        @Override
        public void run() {
            Sizes.parse("--size", size);
            JsonNode v = client().post("/v1/volumes", new ApiModel.CreateVolume(name, size, clusterSize, scoSize,
                    compression, encryption, project));
            out().println("created volume " + describe(v) + " in project " + v.get("project").asText());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List volumes in name order (all of them, fetched 1,000 per request, unless --limit or"
                    + " --after asks for one page): STATE is the data path's (OK, DEGRADED, REPLICA, FENCED), LIFECYCLE"
                    + " the control plane's (creating, available, attached, detaching, deleting, error), CLONE whether"
                    + " a clone still reads from its parent (THIN) or not (INDEPENDENT), PROJECT the project it belongs to;"
                    + " a token of a project lists only that project's volumes.")
    static final class ListVolumes extends ApiCommand {
        @Option(names = "--limit", paramLabel = "N", description = "list only the first N volumes (1 to 10000)")
        Integer limit;

        @Option(names = "--after", paramLabel = "NAME", description = "start after this volume name (the last one"
                + " of the previous page)")
        String after;

        @Override
        public void run() {
            var out = out();
            out.printf("%-24s %10s %-8s %-8s %-10s %-11s %-24s %s%n", "NAME", "SIZE", "TEMPLATE", "STATE", "LIFECYCLE",
                    "CLONE", "PARENT", "PROJECT");
            boolean onePage = limit != null || after != null;
            int pageSize = limit != null ? limit : 1000;
            String from = after;
            ApiClient api = client();
            while (true) {
                JsonNode page = api.get("/v1/volumes?limit=" + pageSize
                        + (from == null ? "" : "&after=" + ApiClient.seg(from)));
                String last = null;
                for (JsonNode v : page) {
                    last = v.get("name").asText();
                    out.printf("%-24s %10s %-8s %-8s %-10s %-11s %-24s %s%n", last,
                            Sizes.format(v.get("spec").get("sizeBytes").asLong()), v.get("template").asBoolean() ? "yes" : "no",
                            v.hasNonNull("state") ? v.get("state").asText() : "-",
                            v.hasNonNull("lifecycle") ? v.get("lifecycle").asText() : "-",
                            v.hasNonNull("cloneState") ? v.get("cloneState").asText() : "-",
                            v.hasNonNull("parent") ? v.get("parent").asText() + "@" + v.get("parentSnapshot").asText() : "-",
                            v.hasNonNull("project") ? v.get("project").asText() : "-");
                }
                if (onePage || page.size() < pageSize) {
                    return;
                }
                from = last;
            }
        }
    }

    @Command(name = "info", aliases = "show", mixinStandardHelpOptions = true,
            description = "Show a volume (size, compression, encryption), its snapshots and its backend requests and bytes"
                    + " since the router started (JSON).")
    static final class Info extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            ApiClient c = client();
            out().println(c.pretty(c.get("/v1/volumes/" + seg(name))));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a volume and its data.")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            client().delete("/v1/volumes/" + seg(name));
            out().println("deleted volume " + name);
        }
    }

    @Command(name = "resize", mixinStandardHelpOptions = true,
            description = "Change a volume's size, also while it is attached; NBD clients see it when they reconnect.")
    static final class Resize extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--size", required = true, paramLabel = "SIZE", description = "new size, e.g. 40GiB")
        String size;
        @Option(names = "--force", description = "allow a shrink (refused anyway if the range cut off was ever written)")
        boolean force;

        @Override
        public void run() {
            Sizes.parse("--size", size);
            JsonNode v = client().post("/v1/volumes/" + seg(name) + "/resize", new ApiModel.Resize(size, force));
            out().println("resized volume " + describe(v));
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Return a volume to a snapshot; later writes and snapshots are lost.")
    static final class Rollback extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "SNAPSHOT")
        String snapshot;

        @Override
        public void run() {
            client().post("/v1/volumes/" + seg(name) + "/rollback", new ApiModel.Rollback(snapshot));
            out().println("rolled back " + name + " to " + snapshot);
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Discard a clone's own writes, returning it to its template snapshot.")
    static final class Reset extends ApiCommand {
        @Parameters(index = "0", paramLabel = "CLONE")
        String name;

        @Override
        public void run() {
            JsonNode v = client().post("/v1/volumes/" + seg(name) + "/reset", Map.of());
            out().println("reset " + describe(v));
        }
    }
}
