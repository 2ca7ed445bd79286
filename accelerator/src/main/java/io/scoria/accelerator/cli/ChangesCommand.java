package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import static io.scoria.accelerator.cli.ApiClient.seg;

/**
 * {@code scoria volume changes NAME --from S1 --to S2}: the byte ranges changed between two
 * snapshots (for incremental backups), one {@code OFFSET LENGTH} line per range, then a total;
 * pages through {@code GET /v1/volumes/NAME/changes} until the volume's end.
 */
@Command(name = "changes", mixinStandardHelpOptions = true,
        description = "List the byte ranges changed between two snapshots (OFFSET LENGTH per line).")
final class ChangesCommand extends ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;
    @Option(names = "--from", required = true, paramLabel = "SNAPSHOT", description = "the older snapshot")
    String from;
    @Option(names = "--to", required = true, paramLabel = "SNAPSHOT", description = "the newer snapshot")
    String to;

    @Override
    public void run() {
        ApiClient c = client();
        String base = "/v1/volumes/" + seg(name) + "/changes?from=" + q(from) + "&to=" + q(to);
        long start = 0;
        long ranges = 0;
        long bytes = 0;
        while (start >= 0) {
            JsonNode page = c.get(base + "&start=" + start);
            for (JsonNode r : page.get("ranges")) {
                out().println(r.get("offset").asLong() + " " + r.get("length").asLong());
                ranges++;
                bytes += r.get("length").asLong();
            }
            start = page.get("next").asLong();
        }
        out().println(ranges + " ranges, " + bytes + " bytes changed from " + from + " to " + to);
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
