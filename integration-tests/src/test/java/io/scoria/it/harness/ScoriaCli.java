package io.scoria.it.harness;

import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.it.nbd.Command;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code scoria} CLI run in the test's JVM against a router's REST API on loopback, with the token
 * in {@code tokenFile} (the router's {@code admin.token}). Stateless; each call is one command.
 */
public final class ScoriaCli {
    private ScoriaCli() {
    }

    /** Runs {@code args} against {@code http://127.0.0.1:apiPort}; returns exit code and output (stdout, then stderr). */
    public static Command run(int apiPort, Path tokenFile, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + apiPort, "--token-file", tokenFile.toString()));
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        return new Command(full, code, out + err.toString());
    }
}
