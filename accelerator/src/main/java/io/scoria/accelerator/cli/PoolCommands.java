package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.Map;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria pool ...}: pools of desktops cloned from one template snapshot. */
@Command(name = "pool", mixinStandardHelpOptions = true,
        description = "Pools of desktops: N clones of a template snapshot, reset when idle, moved to a new template.",
        subcommands = {PoolCommands.Create.class, PoolCommands.Status.class, PoolCommands.Reset.class,
                PoolCommands.Recompose.class, PoolCommands.Delete.class})
final class PoolCommands extends CommandGroup {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Define a pool and clone its desktops.")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "POOL")
        String name;
        @Option(names = "--template", required = true, paramLabel = "TEMPLATE")
        String template;
        @Option(names = "--snapshot", paramLabel = "SNAPSHOT", description = "template snapshot (default: its latest)")
        String snapshot;
        @Option(names = "--size", required = true, paramLabel = "N", description = "number of desktops")
        int size;
        @Option(names = "--prefix", required = true, paramLabel = "PREFIX", description = "desktops are PREFIX1..PREFIXn")
        String prefix;
        @Option(names = "--policy", paramLabel = "POLICY", defaultValue = "reset-on-detach",
                description = "reset-on-detach (default: a desktop's writes are discarded when its host detaches it) or"
                        + " persistent")
        String policy;
        @Option(names = "--project", paramLabel = "PROJECT",
                description = "the project the pool and its desktops belong to (default: the token's project; for a token"
                        + " of every project, default); the template may be of any project the token reaches")
        String project;

        @Override
        public void run() {
            JsonNode p = client().post("/v1/pools", new ApiModel.CreatePool(name, template, snapshot, size, prefix, policy,
                    project));
            print(out(), p);
        }
    }

    @Command(name = "status", aliases = "list", mixinStandardHelpOptions = true,
            description = "Show a pool's desktops (or every pool).")
    static final class Status extends ApiCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "POOL")
        String name;

        @Override
        public void run() {
            if (name != null) {
                print(out(), client().get("/v1/pools/" + seg(name)));
                return;
            }
            for (JsonNode p : client().get("/v1/pools")) {
                summary(out(), p);
            }
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Discard the write space of every idle desktop (recreate it from the template snapshot).")
    static final class Reset extends ApiCommand {
        @Parameters(index = "0", paramLabel = "POOL")
        String name;

        @Override
        public void run() {
            change(out(), client().post("/v1/pools/" + seg(name) + "/reset", Map.of()));
        }
    }

    @Command(name = "recompose", mixinStandardHelpOptions = true,
            description = "Move the pool to another template; idle desktops are recreated from it now, the others when idle.")
    static final class Recompose extends ApiCommand {
        @Parameters(index = "0", paramLabel = "POOL")
        String name;
        @Option(names = "--template", required = true, paramLabel = "TEMPLATE")
        String template;
        @Option(names = "--snapshot", paramLabel = "SNAPSHOT", description = "template snapshot (default: its latest)")
        String snapshot;
        @Option(names = "--force", description = "also for a persistent pool (its desktops' own writes are discarded)")
        boolean force;

        @Override
        public void run() {
            change(out(), client().post("/v1/pools/" + seg(name) + "/recompose",
                    new ApiModel.Recompose(template, snapshot, force)));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Forget a pool; its desktops stay as volumes.")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "POOL")
        String name;

        @Override
        public void run() {
            client().delete("/v1/pools/" + seg(name));
            out().println("deleted pool " + name + " (its volumes stay)");
        }
    }

    private static void summary(PrintWriter out, JsonNode p) {
        JsonNode d = p.get("pool");
        out.println("pool " + d.get("name").asText() + ": " + d.get("size").asInt() + " desktops " + d.get("prefix").asText()
                + "1.. of " + d.get("template").asText() + "@" + d.get("snapshot").asText() + ", " + d.get("policy").asText()
                + "; idle " + p.get("idle").asInt() + ", in use " + p.get("inUse").asInt() + ", missing "
                + p.get("missing").asInt() + ", stale " + p.get("stale").asInt()
                + (d.hasNonNull("project") ? "; project " + d.get("project").asText() : ""));
    }

    private static void print(PrintWriter out, JsonNode p) {
        summary(out, p);
        out.printf("%-24s %-7s %-11s %s%n", "DESKTOP", "USE", "CLONE", "PARENT");
        for (JsonNode m : p.get("desktops")) {
            out.printf("%-24s %-7s %-11s %s%n", m.get("volume").asText(),
                    !m.get("exists").asBoolean() ? "missing" : m.get("inUse").asBoolean() ? "in-use" : "idle",
                    m.hasNonNull("cloneState") ? m.get("cloneState").asText() : "-",
                    m.hasNonNull("parent") ? m.get("parent").asText() + "@" + m.get("parentSnapshot").asText()
                            + (m.get("current").asBoolean() ? "" : " (stale)") : "-");
        }
    }

    private static void change(PrintWriter out, JsonNode c) {
        out.println("recreated " + c.get("recreated").size() + ", reset " + c.get("reset").size() + ", in use (left alone) "
                + c.get("skippedInUse").size() + ": " + c.get("skippedInUse"));
        summary(out, c.get("status"));
    }
}
