package io.scoria.accelerator.control;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How the router runs the scrub job {@code scoria-scrub} (the {@code scrubber} module, a program of
 * its own that never imports the router) as a child process: {@code java -jar JAR --config CONFIG
 * --namespace NS --threshold T --scratch DIR}. {@code config} is a file whose {@code backend:}
 * section is the router's (the router's own config file does). Immutable.
 *
 * @param java          the java executable
 * @param jar           {@code scoria-scrub.jar}
 * @param config        YAML file with the {@code backend:} section
 * @param liveThreshold SCOs with a live fraction below this are rewritten (scoria-scrub's {@code --threshold})
 * @param scratch       scratch space of the scrub job
 */
public record ScrubProgram(Path java, Path jar, Path config, double liveThreshold, Path scratch) {
    /** The jar's name, as {@code scrubber/target} and a packaged installation have it. */
    public static final String JAR_NAME = "scoria-scrub.jar";

    public ScrubProgram {
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(jar, "jar");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(scratch, "scratch");
        if (!(liveThreshold > 0 && liveThreshold <= 1)) {
            throw new IllegalArgumentException("liveThreshold must be in (0, 1]: " + liveThreshold);
        }
    }

    /** The command line that scrubs {@code namespace}. */
    public List<String> command(String namespace) {
        List<String> c = new ArrayList<>();
        c.add(java.toString());
        c.add("-jar");
        c.add(jar.toString());
        c.add("--config");
        c.add(config.toString());
        c.add("--namespace");
        c.add(namespace);
        c.add("--threshold");
        c.add(String.format(Locale.ROOT, "%.3f", liveThreshold));
        c.add("--scratch");
        c.add(scratch.toString());
        return c;
    }

    /** The java executable of the running JVM. */
    public static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * Where {@code scoria-scrub.jar} is when none is configured: beside the jar {@code anchor} runs
     * from (a packaged installation), or in {@code scrubber/target} of the source tree that jar was
     * built in ({@code accelerator/target/scoria.jar}); empty if neither exists.
     */
    public static Optional<Path> locateJar(Class<?> anchor) {
        Path self;
        try {
            self = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (Exception e) {
            return Optional.empty();
        }
        Path dir = self.getParent(); // the directory of scoria.jar, or target/ of target/classes
        for (Path p : List.of(dir.resolve(JAR_NAME), dir.resolve("../../scrubber/target/" + JAR_NAME).normalize())) {
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
