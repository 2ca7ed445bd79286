package io.scoria.accelerator.health;

import java.util.Objects;

/**
 * The outcome of one readiness check: its name ({@code backend}, {@code foc}, {@code flash}),
 * whether it passed, and a sentence saying what was found (the reason when it failed).
 */
public record CheckResult(String name, boolean ok, String detail) {
    public CheckResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(detail, "detail");
    }

    public static CheckResult pass(String name, String detail) {
        return new CheckResult(name, true, detail);
    }

    public static CheckResult fail(String name, String detail) {
        return new CheckResult(name, false, detail);
    }
}
