package io.scoria.accelerator.api;

import io.scoria.accelerator.control.AutoScrub;
import io.scoria.accelerator.control.SnapshotScheduler;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The snapshot schedule calls: {@code /v1/volumes/NAME/schedule} ({@code GET} the schedule a
 * volume follows and the scheduled snapshots it has, {@code PUT {"schedule": "every 1h, keep 24
 * hourly + 7 daily"}} or {@code "none"}, {@code DELETE}: follow the schedule for all volumes again),
 * {@code /v1/schedules} ({@code GET} the one for all volumes and every volume's) and
 * {@code /v1/schedules/default} ({@code GET}, {@code PUT}, {@code DELETE}: back to the config's
 * {@code scrub.auto.schedule}); {@code GET /v1/volumes/NAME/space}: the volume's data as the automatic
 * scrub last measured it (bytes of live data in its LBA map, inherited ranges of a clone included;
 * SCO bytes on the backend; their garbage ratio). Without a scheduler every call is 404. Thread-safe.
 */
final class ScheduleRoutes {
    /** The body of a {@code PUT}. */
    record SetSchedule(String schedule) {
    }

    /** The answer of {@code GET /v1/schedules}. */
    record Schedules(SnapshotScheduler.View all, List<SnapshotScheduler.View> volumes) {
    }

    /**
     * The answer of {@code GET /v1/volumes/NAME/space}; the figures are null (and {@code note}
     * says why) before the volume's first measurement.
     */
    record Space(String volume, Long liveBytes, Long backendBytes, Double garbageRatio, Integer unscrubbedSnapshots,
                 Instant measuredAt, String note) {
    }

    private final SnapshotScheduler scheduler;

    ScheduleRoutes(SnapshotScheduler scheduler) {
        this.scheduler = scheduler;
    }

    private SnapshotScheduler scheduler() {
        if (scheduler == null) {
            throw ProblemException.notFound("this router runs no snapshot schedules");
        }
        return scheduler;
    }

    /** Answers {@code call}, whose path is {@code v1/volumes/NAME/schedule}. */
    Reply volume(ApiCall call) {
        SnapshotScheduler s = scheduler();
        String name = call.at(2);
        return switch (call.method) {
            case "GET" -> Reply.json(200, s.view(name));
            case "PUT" -> Reply.json(200, s.set(name, required(call.body(SetSchedule.class))));
            case "DELETE" -> Reply.json(200, s.set(name, null));
            default -> throw call.methodNotAllowed();
        };
    }

    /** Answers {@code call}, whose path is {@code v1/volumes/NAME/space}. */
    Reply space(ApiCall call) {
        SnapshotScheduler s = scheduler();
        if (!call.method.equals("GET")) {
            throw call.methodNotAllowed();
        }
        String name = call.at(2);
        Optional<AutoScrub.Measured> m = s.space(name);
        if (m.isEmpty()) {
            return Reply.json(200, new Space(name, null, null, null, null, null, s.measuresSpace()
                    ? "not measured yet: the automatic scrub measures every volume soon after start and then every"
                    + " scrub.auto.checkEvery (another node of a cluster measures the volumes it serves)"
                    : "this router runs no automatic scrub (scrub.auto), which measures volumes' space"));
        }
        AutoScrub.Garbage g = m.get().garbage();
        return Reply.json(200, new Space(name, g.liveBytes(), g.backendBytes(), g.ratio(), g.unscrubbedSnapshots(),
                m.get().at(), null));
    }

    /** Answers {@code call}, whose path starts with {@code v1/schedules}. */
    Reply all(ApiCall call) {
        SnapshotScheduler s = scheduler();
        if (call.path.length == 2) {
            if (!call.method.equals("GET")) {
                throw call.methodNotAllowed();
            }
            return Reply.json(200, new Schedules(s.defaultView(), s.list()));
        }
        if (call.path.length != 3 || !call.at(2).equals("default")) {
            throw call.notFound();
        }
        return switch (call.method) {
            case "GET" -> Reply.json(200, s.defaultView());
            case "PUT" -> Reply.json(200, s.setDefault(required(call.body(SetSchedule.class))));
            case "DELETE" -> Reply.json(200, s.setDefault(null));
            default -> throw call.methodNotAllowed();
        };
    }

    private static String required(SetSchedule body) {
        if (body == null || body.schedule() == null || body.schedule().isBlank()) {
            throw new IllegalArgumentException("field 'schedule' is required (e.g. \"every 1h, keep 24 hourly + 7 daily\""
                    + " or \"none\")");
        }
        return body.schedule();
    }
}
