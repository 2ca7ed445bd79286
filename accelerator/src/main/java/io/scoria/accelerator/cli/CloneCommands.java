package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import io.scoria.backend.config.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.util.Map;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria clone ...} and {@code scoria template ...}: thin clones and templates. */
@Command(name = "clone", mixinStandardHelpOptions = true, description = "Create thin clones and reset them.",
        subcommands = {CloneCommands.Create.class, CloneCommands.Reset.class, CloneCommands.Hydrate.class,
                CloneCommands.Flatten.class})
final class CloneCommands extends CommandGroup {
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create one clone (NAME) or --count clones named PREFIX1..PREFIXn of a template or snapshot.",
                    "--count starts a job: --wait follows it, else its id is printed (scoria job show ID).",
                    "A clone set is all or none: everything is checked first, and a failure, a cancel or a stop of the",
                    "router in the middle removes the clones made (they are 'creating' until the last one exists)."})
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "PARENT", description = "template or volume to clone")
        String parent;
        @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "name of a single clone")
        String name;
        @Option(names = "--count", paramLabel = "N", description = "number of clones")
        Integer count;
        @Option(names = "--prefix", paramLabel = "PREFIX", description = "clone names are PREFIX1..PREFIXn")
        String prefix;
        @Option(names = "--snapshot", paramLabel = "SNAPSHOT",
                description = "parent snapshot (default: the template's, else the latest)")
        String snapshot;
        @Option(names = "--wait", description = "with --count: follow the clone job until it ends (progress bar on a terminal)")
        boolean wait;

        @Override
        public void run() {
            if ((name == null) == (count == null && prefix == null)) {
                throw new ParameterException(spec.commandLine(), "give either NAME, or --count and --prefix");
            }
            if (name == null && (count == null || prefix == null)) {
                throw new ParameterException(spec.commandLine(), "--count and --prefix go together");
            }
            JsonNode answer = client().post("/v1/volumes/" + seg(parent) + "/clones",
                    new ApiModel.CreateClones(name, count, prefix, snapshot));
            JsonNode made = answer;
            if (name == null) {
                JsonNode job = JobCommands.started(this, answer, wait);
                if (!wait) {
                    return;
                }
                made = job.get("result");
            }
            for (JsonNode v : made) {
                out().println("created clone " + VolumeCommands.describe(v));
            }
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, description = "Reset a clone to its template.")
    static final class Reset extends ApiCommand {
        @Parameters(index = "0", paramLabel = "CLONE")
        String name;

        @Override
        public void run() {
            JsonNode v = client().post("/v1/volumes/" + seg(name) + "/reset", Map.of());
            out().println("reset " + VolumeCommands.describe(v));
        }
    }

    @Command(name = "hydrate", mixinStandardHelpOptions = true,
            description = {"Copy every cluster a clone still reads from its template into the clone (a job), so that it no"
                    + " longer needs it; the clone's own writes are kept. Then `clone flatten` cuts the link.",
                    "--wait follows the job, else its id is printed (scoria job show ID)."})
    static final class Hydrate extends ApiCommand {
        @Parameters(index = "0", paramLabel = "CLONE")
        String name;
        @Option(names = "--rate", paramLabel = "SIZE",
                description = "bytes copied per second at most, e.g. 32MiB (default 32MiB; 0: no limit)")
        String rate;
        @Option(names = "--wait", description = "follow the job until it ends (progress bar on a terminal)")
        boolean wait;

        @Override
        public void run() {
            JsonNode answer = client().post("/v1/volumes/" + seg(name) + "/hydrate", new ApiModel.Hydrate(rate));
            JsonNode job = JobCommands.started(this, answer, wait);
            if (wait) {
                JsonNode r = job.get("result");
                out().println("hydrated " + name + ": " + r.get("copiedClusters").asLong() + " clusters copied ("
                        + Sizes.format(r.get("copiedBytes").asLong()) + "), state " + r.get("cloneState").asText());
            }
        }
    }

    @Command(name = "flatten", mixinStandardHelpOptions = true,
            description = "Cut the parent link of a hydrated clone, so that its template can be deleted.")
    static final class Flatten extends ApiCommand {
        @Parameters(index = "0", paramLabel = "CLONE")
        String name;

        @Override
        public void run() {
            JsonNode v = client().post("/v1/volumes/" + seg(name) + "/flatten", Map.of());
            out().println("flattened " + VolumeCommands.describe(v));
        }
    }

    /** {@code scoria template create VOLUME}. */
    @Command(name = "template", mixinStandardHelpOptions = true, description = "Make templates.",
            subcommands = {TemplateCommands.Create.class})
    static final class TemplateCommands extends CommandGroup {
        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Make a volume a read-only template that clones start from.")
        static final class Create extends ApiCommand {
            @Parameters(index = "0", paramLabel = "VOLUME")
            String volume;

            @Override
            public void run() {
                JsonNode v = client().post("/v1/volumes/" + seg(volume) + "/template", Map.of());
                out().println("made template " + VolumeCommands.describe(v));
            }
        }
    }
}
