package io.scoria.accelerator.api;

import java.util.Map;

/**
 * A request refused with an HTTP status and a {@link Problem} body, optionally with response
 * headers (e.g. {@code WWW-Authenticate}). Thrown inside the API's request pipeline.
 */
final class ProblemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String slug;
    final String title;
    final transient Map<String, String> headers;

    ProblemException(int status, String slug, String title, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.headers = Map.copyOf(headers);
    }

    ProblemException(int status, String slug, String title, String detail) {
        this(status, slug, title, detail, Map.of());
    }

    Problem problem(String instance) {
        return new Problem(Problem.TYPE_PREFIX + slug, title, status, getMessage(), instance);
    }

    static ProblemException badRequest(String detail) {
        return new ProblemException(400, "bad-request", "Bad request", detail);
    }

    static ProblemException notFound(String detail) {
        return new ProblemException(404, "not-found", "Not found", detail);
    }

    static ProblemException tooLarge(int limit) {
        return new ProblemException(413, "body-too-large", "Request body too large",
                "request bodies are limited to " + limit + " bytes");
    }
}
