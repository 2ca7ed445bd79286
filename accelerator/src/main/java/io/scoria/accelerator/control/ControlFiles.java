package io.scoria.accelerator.control;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reading the control plane's JSON files under the data directory ({@code qos.json}, {@code hosts.json}):
 * strict (unknown keys and trailing text are errors), a file that does not exist yet is empty, a bad one
 * is an error naming the file. Stateless; the mapper is thread-safe.
 */
final class ControlFiles {
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ControlFiles() {
    }

    /** The content of {@code file} as a {@code type}, or empty if it does not exist; {@code what} names it in errors. */
    static <T> Optional<T> read(Path file, Class<T> type, String what) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the " + what + " " + file, e);
        }
        try {
            return Optional.of(JSON.readValue(raw, type));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("the " + what + " " + file + " is not valid: " + e.getMessage(), e);
        }
    }
}
