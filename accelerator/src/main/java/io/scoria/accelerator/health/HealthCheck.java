package io.scoria.accelerator.health;

/**
 * One condition a router needs to take I/O: the backend answers, the fail-over cache is
 * reachable, local flash has room. {@link #check} may block (a network probe); {@link Readiness}
 * bounds how long it waits. Implementations are thread-safe and never throw: a failure is a
 * failed {@link CheckResult} with its reason.
 */
public interface HealthCheck {
    /** Short name of the check, as the readiness answer lists it. */
    String name();

    CheckResult check();
}
