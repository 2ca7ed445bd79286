package io.scoria.accelerator.api;

/** An answer of the API before it is written: status, body (a JSON value or text) and its media type. */
record Reply(int status, Object body, String contentType) {
    static final String JSON = "application/json";

    static Reply json(int status, Object body) {
        return new Reply(status, body, JSON);
    }

    static Reply noContent() {
        return new Reply(204, null, JSON);
    }
}
