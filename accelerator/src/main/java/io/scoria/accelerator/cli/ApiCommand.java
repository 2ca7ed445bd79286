package io.scoria.accelerator.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** A command that calls a running daemon's REST API ({@link ApiOptions}: {@code --api URL}). */
abstract class ApiCommand implements Runnable {
    @Mixin
    ApiOptions api;
    @Spec
    CommandSpec spec;

    /** The client of the daemon named by the options. */
    ApiClient client() {
        return api.client();
    }

    /** Where the command prints its result (picocli's out, so tests can capture it). */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
