package io.scoria.accelerator.control;

/**
 * Why a job failed, in the terms of an RFC 9457 problem (the API adds the {@code type} prefix and
 * the {@code instance}): {@code slug} names the kind of failure ({@code job-failed},
 * {@code router-restarted}, {@code not-found}, ...), {@code status} the HTTP status the same failure
 * gets as a synchronous call, {@code detail} a sentence for the operator (no stack trace, no
 * secret). Immutable.
 */
public record JobFailure(String slug, String title, int status, String detail) {
    public JobFailure {
        if (slug == null || !slug.matches("[a-z][a-z0-9-]{0,63}")) {
            throw new IllegalArgumentException("job failure slug must be lower-case words with dashes: '" + slug + "'");
        }
        if (title == null || detail == null) {
            throw new IllegalArgumentException("job failure needs a title and a detail");
        }
    }
}
