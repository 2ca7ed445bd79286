package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

import java.util.List;
import java.util.Map;

import static io.scoria.accelerator.cli.ApiClient.seg;

/**
 * {@code scoria volume schedule}: shows or sets a volume's snapshot schedule, or the one for all
 * volumes ({@code --all}); {@code --clear} goes back to the schedule for all (for {@code --all}:
 * the config's {@code scrub.auto.schedule}); {@code --list} shows every volume's.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = {"Show or set the snapshot schedule of a volume or of all volumes.",
                "  scoria volume schedule vm1 'every 1h, keep 24 hourly + 7 daily'",
                "  scoria volume schedule vm1 none            # no scheduled snapshots of vm1",
                "  scoria volume schedule vm1 --clear         # vm1 follows the schedule for all again",
                "  scoria volume schedule --all 'every 4h, keep 6 last + 14 daily'",
                "  scoria volume schedule --list"})
final class ScheduleCommand extends ApiCommand {
    @Parameters(arity = "0..2", paramLabel = "VOLUME [SCHEDULE]",
            description = "the volume (not with --all/--list), then the schedule to set: 'every DURATION, keep N last|hourly"
                    + "|daily|weekly [+ ...]' or none")
    List<String> args = List.of();
    @Option(names = "--all", description = "the schedule of every volume that has none of its own")
    boolean all;
    @Option(names = "--clear", description = "remove the volume's own schedule (with --all: back to the config's)")
    boolean clear;
    @Option(names = "--list", description = "every volume's schedule")
    boolean list;

    @Override
    public void run() {
        ApiClient c = client();
        if (list) {
            JsonNode s = c.get("/v1/schedules");
            out().println("all volumes: " + line(s.get("all")));
            for (JsonNode v : s.get("volumes")) {
                out().println(v.get("volume").asText() + ": " + line(v));
            }
            return;
        }
        String path;
        String schedule;
        if (all) {
            if (args.size() > 1) {
                throw new ParameterException(spec.commandLine(), "--all takes only the schedule");
            }
            path = "/v1/schedules/default";
            schedule = args.isEmpty() ? null : args.get(0);
        } else {
            if (args.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "name a VOLUME, or use --all or --list");
            }
            path = "/v1/volumes/" + seg(args.get(0)) + "/schedule";
            schedule = args.size() > 1 ? args.get(1) : null;
        }
        if (clear && schedule != null) {
            throw new ParameterException(spec.commandLine(), "--clear takes no schedule");
        }
        JsonNode v = clear ? c.delete(path) : schedule != null ? c.put(path, Map.of("schedule", schedule)) : c.get(path);
        out().println((all ? "all volumes" : args.get(0)) + ": " + line(v));
    }

    static String line(JsonNode v) {
        StringBuilder b = new StringBuilder(v.get("schedule").asText());
        b.append(" (").append(switch (v.get("source").asText()) {
            case "volume" -> "its own";
            case "all" -> "the schedule for all volumes";
            default -> "the config's default";
        }).append(")");
        if (v.hasNonNull("next")) {
            b.append(", next snapshot ").append(v.get("next").asText());
        }
        JsonNode snaps = v.get("snapshots");
        if (snaps != null && !snaps.isEmpty()) {
            b.append(", ").append(snaps.size()).append(" scheduled snapshots kept, newest ")
                    .append(snaps.get(snaps.size() - 1).asText());
        }
        return b.toString();
    }
}
