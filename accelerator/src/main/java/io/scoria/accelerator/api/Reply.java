package io.scoria.accelerator.api;

import java.util.Map;

/**
 * An answer of the API before it is written: status, body (a JSON value or text), its media type
 * and extra response headers (e.g. {@code Location} of a job).
 */
record Reply(int status, Object body, String contentType, Map<String, String> headers) {
    static final String JSON = "application/json";

    Reply {
        headers = Map.copyOf(headers);
    }

    Reply(int status, Object body, String contentType) {
        this(status, body, contentType, Map.of());
    }

    static Reply json(int status, Object body) {
        return new Reply(status, body, JSON);
    }

    static Reply noContent() {
        return new Reply(204, null, JSON);
    }

    /** 202 Accepted with the job started for the request; {@code Location} names the job. */
    static Reply accepted(ApiModel.JobView job) {
        return new Reply(202, job, JSON, Map.of("Location", "/v1/jobs/" + job.id()));
    }
}
