package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code scoria scrub ...}. {@code scrub apply} asks the running router to apply the scrub
 * results waiting for a volume (it also polls every 30 s). The scrub job itself is the
 * separate program {@code scoria-scrub} ({@code scrubber/target/scoria-scrub.jar}); the
 * {@code ./scoria} launcher runs it for {@code ./scoria scrub run ...}.
 */
@Command(name = "scrub", mixinStandardHelpOptions = true,
        description = "Apply scrub results (the scrub job itself: ./scoria scrub run --config FILE --namespace NS).",
        subcommands = {ScrubCommands.Apply.class})
final class ScrubCommands extends CommandGroup {
    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = "Apply the scrub results waiting on the backend for a volume now.")
    static final class Apply extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;

        @Override
        public void run() {
            JsonNode outcomes = client().post("/v1/volumes/" + ApiClient.seg(volume) + "/scrub-results", null);
            var out = out();
            if (outcomes.isEmpty()) {
                out.println("no scrub result waiting for " + volume);
            }
            for (JsonNode o : outcomes) {
                out.println(o.get("result").asText() + ": " + o.get("status").asText()
                        + (o.get("relocated").asInt() > 0 ? ", " + o.get("relocated").asInt() + " clusters relocated" : "")
                        + (o.get("message").asText().isEmpty() ? "" : " (" + o.get("message").asText() + ")"));
            }
        }
    }
}
