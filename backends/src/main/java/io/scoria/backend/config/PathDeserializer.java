package io.scoria.backend.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Reads every {@link Path} of a config: a relative path is resolved against the directory of
 * the config file ({@link ConfigReader#BASE_DIR}); without a file it is kept as written, so it
 * resolves against the working directory when used. Stateless.
 */
final class PathDeserializer extends StdScalarDeserializer<Path> {
    private static final long serialVersionUID = 1L;

    PathDeserializer() {
        super(Path.class);
    }

    @Override
    public Path deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (!p.currentToken().isScalarValue()) {
            throw new ConfigException("", "expected a path");
        }
        return resolve(p.getValueAsString(), (Path) ctxt.getAttribute(ConfigReader.BASE_DIR));
    }

    /** {@code text} as a path, resolved against {@code baseDir} when relative and baseDir is not null. */
    static Path resolve(String text, Path baseDir) {
        if (text == null || text.isBlank()) {
            throw new ConfigException("", "a path is required");
        }
        Path path;
        try {
            path = Path.of(text);
        } catch (InvalidPathException e) {
            throw new ConfigException("", "not a valid path: " + e.getReason());
        }
        return baseDir == null || path.isAbsolute() ? path : baseDir.resolve(path).normalize();
    }
}
