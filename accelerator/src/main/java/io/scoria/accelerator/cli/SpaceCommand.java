package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Locale;

import static io.scoria.accelerator.cli.ApiClient.seg;

/**
 * {@code scoria volume space VOL}: the volume's live data and its SCO bytes on the backend, as
 * the automatic scrub last measured them ({@code GET /v1/volumes/NAME/space}).
 */
@Command(name = "space", mixinStandardHelpOptions = true,
        description = {"Show a volume's live data and its bytes on the backend, as last measured.",
                "  scoria volume space vm1"})
final class SpaceCommand extends ApiCommand {
    @Parameters(paramLabel = "VOLUME", description = "the volume")
    String volume;

    @Override
    public void run() {
        JsonNode s = client().get("/v1/volumes/" + seg(volume) + "/space");
        if (!s.hasNonNull("liveBytes")) {
            out().println(volume + ": " + s.get("note").asText());
            return;
        }
        out().println(String.format(Locale.ROOT,
                "%s: %d bytes of live data, %d bytes of SCOs on the backend (garbage %.2f), %d snapshots not scrubbed;"
                        + " measured %s", volume, s.get("liveBytes").asLong(), s.get("backendBytes").asLong(),
                s.get("garbageRatio").asDouble(), s.get("unscrubbedSnapshots").asInt(), s.get("measuredAt").asText()));
    }
}
