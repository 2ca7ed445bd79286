package io.scoria.accelerator.api;

import io.scoria.accelerator.control.SnapshotScheduler;

import java.util.List;

/**
 * The snapshot schedule calls: {@code /v1/volumes/NAME/schedule} ({@code GET} the schedule a
 * volume follows and the scheduled snapshots it has, {@code PUT {"schedule": "every 1h, keep 24
 * hourly + 7 daily"}} or {@code "none"}, {@code DELETE}: follow the schedule for all volumes again),
 * {@code /v1/schedules} ({@code GET} the one for all volumes and every volume's) and
 * {@code /v1/schedules/default} ({@code GET}, {@code PUT}, {@code DELETE}: back to the config's
 * {@code scrub.auto.schedule}). Without a scheduler every call is 404. Thread-safe.
 */
final class ScheduleRoutes {
    /** The body of a {@code PUT}. */
    record SetSchedule(String schedule) {
    }

    /** The answer of {@code GET /v1/schedules}. */
    record Schedules(SnapshotScheduler.View all, List<SnapshotScheduler.View> volumes) {
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
