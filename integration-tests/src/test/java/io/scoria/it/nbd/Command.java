package io.scoria.it.nbd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a real client program to completion and keeps its exit code and combined output. */
public record Command(List<String> argv, int exitCode, String output) {

    public static Command run(long timeoutSeconds, String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("(output lost: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(5000);
            throw new IllegalStateException(String.join(" ", argv) + " timed out after " + timeoutSeconds + " s");
        }
        reader.join();
        return new Command(List.of(argv), p.exitValue(), new String(out[0], StandardCharsets.UTF_8));
    }

    /** Fails with the command and its output unless it exited with 0. */
    public Command ok() {
        if (exitCode != 0) {
            throw new AssertionError(String.join(" ", argv) + " exited with " + exitCode + ":\n" + output);
        }
        return this;
    }
}
