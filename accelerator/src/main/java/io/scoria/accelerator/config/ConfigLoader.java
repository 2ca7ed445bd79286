package io.scoria.accelerator.config;

import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.ConfigReader;

import java.nio.file.Path;

/**
 * Reads a YAML {@link ScoriaConfig} with the shared {@link ConfigReader}: unknown keys and bad
 * values fail with a {@link ConfigException} naming the file and the key by its full path
 * ({@code scoria.yaml: nbd.port: must be 0-65535: 70000}); relative paths, the default
 * {@code dataDir} included, resolve against the config file's directory. Stateless.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    /** Reads {@code file}; automatic scrubs read their {@code backend:} section from it too (unless {@code scrub.auto.config} names another). */
    public static ScoriaConfig load(Path file) {
        return load(ConfigReader.read(file)).withScrubConfigFile(file.toAbsolutePath());
    }

    /** The config of an already parsed document (a file, or text with its own base directory). */
    public static ScoriaConfig load(ConfigReader document) {
        return document.withDefault("dataDir", ScoriaConfig.DEFAULT_DATA_DIR).document(ScoriaConfig.class);
    }

    /**
     * Parses {@code yaml}, named {@code source} in messages; with no file, relative paths stay
     * as written (the working directory's), as in the embedded default.
     */
    public static ScoriaConfig parse(String yaml, String source) {
        return load(ConfigReader.parse(yaml, source, null));
    }
}
