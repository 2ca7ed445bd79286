package io.scoria.backend.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a {@link Secret}: inline ({@code key: value}), from a file ({@code key: {file: PATH}},
 * trailing line breaks dropped) or from an environment variable ({@code key: {env: NAME}}).
 * Errors name the file or the variable, never the value. Stateless.
 */
final class SecretDeserializer extends StdDeserializer<Secret> {
    private static final long serialVersionUID = 1L;
    private static final String FORMS = "expected a string, {file: PATH} or {env: NAME}";

    SecretDeserializer() {
        super(Secret.class);
    }

    @Override
    public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonToken token = p.currentToken();
        if (token.isScalarValue()) {
            String text = p.getValueAsString();
            if (text == null || text.isEmpty()) {
                throw new ConfigException("", "must not be empty");
            }
            return Secret.of(text);
        }
        if (token != JsonToken.START_OBJECT) {
            throw new ConfigException("", FORMS);
        }
        JsonNode node = ctxt.readTree(p);
        if (node.size() != 1) {
            throw new ConfigException("", FORMS);
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        Map.Entry<String, JsonNode> only = fields.next();
        String where = only.getValue().isValueNode() ? only.getValue().asText() : "";
        if (where.isBlank()) {
            throw new ConfigException(only.getKey(), "expected a non-empty string");
        }
        @SuppressWarnings("unchecked")
        Function<String, String> env = (Function<String, String>) ctxt.getAttribute(ConfigReader.ENV);
        return switch (only.getKey()) {
            case "file" -> fromFile(PathDeserializer.resolve(where, (Path) ctxt.getAttribute(ConfigReader.BASE_DIR)));
            case "env" -> fromEnv(where, env);
            default -> throw new ConfigException(only.getKey(), "unknown key (" + FORMS + ")");
        };
    }

    private static Secret fromFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", "secret file " + file + " not found");
        } catch (AccessDeniedException e) {
            throw new ConfigException("", "secret file " + file + " is not readable (permission denied)");
        } catch (IOException e) {
            throw new ConfigException("", "cannot read secret file " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
            end--;
        }
        if (end == 0) {
            throw new ConfigException("", "secret file " + file + " is empty");
        }
        return Secret.of(text.substring(0, end));
    }

    private static Secret fromEnv(String name, Function<String, String> env) {
        String value = env.apply(name);
        if (value == null) {
            throw new ConfigException("", "environment variable " + name + " is not set");
        }
        if (value.isEmpty()) {
            throw new ConfigException("", "environment variable " + name + " is empty");
        }
        return Secret.of(value);
    }
}
