package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria job list|show|cancel}: the router's long operations. */
@Command(name = "job", mixinStandardHelpOptions = true,
        description = "List, show and cancel long operations (clones by count, distributor repair, ...).",
        subcommands = {JobCommands.ListJobs.class, JobCommands.Show.class, JobCommands.Cancel.class})
final class JobCommands extends CommandGroup {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the jobs the router keeps, oldest first.")
    static final class ListJobs extends ApiCommand {
        @Override
        public void run() {
            JsonNode jobs = client().get("/v1/jobs");
            if (jobs.isEmpty()) {
                out().println("no jobs");
            }
            for (JsonNode j : jobs) {
                out().println(JobWaiter.line(j));
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a job as JSON (state, progress, result or error).")
    static final class Show extends ApiCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;
        @Option(names = "--wait", description = "follow the job until it ends (progress bar on a terminal)")
        boolean wait;

        @Override
        public void run() {
            ApiClient c = client();
            JsonNode job = c.get("/v1/jobs/" + seg(id));
            if (wait) {
                job = new JobWaiter(c, out(), JobWaiter.onTerminal()).await(job);
            }
            out().println(c.pretty(job));
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancel a job: a queued one at once, a running one between two steps.")
    static final class Cancel extends ApiCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public void run() {
            JsonNode job = client().delete("/v1/jobs/" + seg(id));
            out().println("cancel asked: " + JobWaiter.line(job));
        }
    }

    private JobCommands() {
    }

    /** Prints a started job, or with {@code wait} follows it to its end; returns the job as last seen. */
    static JsonNode started(ApiCommand command, JsonNode job, boolean wait) {
        if (!wait) {
            command.out().println("started job " + job.get("id").asText() + " (" + job.get("kind").asText() + " "
                    + job.get("target").asText() + "); follow it with: scoria job show --wait " + job.get("id").asText());
            return job;
        }
        return new JobWaiter(command.client(), command.out(), JobWaiter.onTerminal()).await(job);
    }
}
