package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import io.scoria.accelerator.api.Role;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria token ...}: create, list and revoke bearer tokens of the REST API (needs an admin token). */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Create, list and revoke REST API tokens (admin, operator or viewer).",
        subcommands = {TokenCommands.Create.class, TokenCommands.ListTokens.class, TokenCommands.Revoke.class})
final class TokenCommands extends CommandGroup {
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a token; it is printed once (on the last line) and only its hash is kept.",
                    "admin: everything; operator: volumes, snapshots, clones, scrub, no tokens; viewer: GET only."})
    static final class Create extends ApiCommand {
        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "admin, operator or viewer")
        String role;
        @Option(names = "--project", paramLabel = "PROJECT",
                description = "the project the token reaches (default: the calling token's project; for a token of"
                        + " every project, default)")
        String project;
        @Option(names = "--all-projects", description = "a cluster-wide token, reaching every project (needs an"
                + " admin token of every project)")
        boolean allProjects;

        @Override
        public void run() {
            Role r = Role.parse(role);
            if (allProjects && project != null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "give --project or --all-projects, not both");
            }
            JsonNode t = client().post("/v1/tokens", new ApiModel.CreateToken(r.wireName(),
                    allProjects ? "*" : project));
            var out = out();
            out.println("created token " + t.get("id").asText() + " (role " + t.get("role").asText() + ", project "
                    + t.get("project").asText() + "); it is shown only now:");
            out.println(t.get("token").asText());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    static final class ListTokens extends ApiCommand {
        @Override
        public void run() {
            var out = out();
            out.printf("%-14s %-9s %-16s %s%n", "ID", "ROLE", "PROJECT", "CREATED");
            for (JsonNode t : client().get("/v1/tokens")) {
                out.printf("%-14s %-9s %-16s %s%n", t.get("id").asText(), t.get("role").asText(),
                        t.get("project").asText(), t.get("created").asText());
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token at once.")
    static final class Revoke extends ApiCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public void run() {
            client().delete("/v1/tokens/" + seg(id));
            out().println("revoked token " + id);
        }
    }
}
