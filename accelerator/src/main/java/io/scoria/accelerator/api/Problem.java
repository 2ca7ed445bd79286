package io.scoria.accelerator.api;

/**
 * An error answer of the management API as RFC 9457 problem details
 * ({@code application/problem+json}). {@code type} is {@code urn:scoria:problem:<slug>} (the
 * slugs are listed in {@code openapi.yaml}); {@code instance} is the request path. Details never
 * carry a stack trace, an exception's {@code toString()} or a secret. Immutable.
 */
public record Problem(String type, String title, int status, String detail, String instance) {
    /** The media type of a problem body. */
    public static final String MEDIA_TYPE = "application/problem+json";
    static final String TYPE_PREFIX = "urn:scoria:problem:";
}
