package io.scoria.backend.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns Jackson's and SnakeYAML's exceptions into {@link ConfigException}s that name the key by
 * its full path and say what was expected. The input text is never quoted, except the value of
 * a scalar of the wrong type (secrets are never read as such scalars). Stateless.
 */
final class ConfigErrors {
    private ConfigErrors() {
    }

    /** The text is not YAML: line, column and the parser's problem, without the line's text. */
    static ConfigException syntax(JsonProcessingException e, String source) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException y && y.getProblemMark() != null) {
                return new ConfigException(source, null, "not valid YAML at line " + (y.getProblemMark().getLine() + 1)
                        + ", column " + (y.getProblemMark().getColumn() + 1) + ": " + y.getProblem());
            }
        }
        JsonLocation at = e.getLocation();
        return new ConfigException(source, null, "not valid YAML"
                + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
    }

    /** A value does not fit its record: unknown key, wrong type, or refused by the record. */
    static ConfigException mapping(JsonMappingException e, String source, String prefix) {
        String path = ConfigException.join(prefix, path(e));
        if (e instanceof UnrecognizedPropertyException u) {
            return new ConfigException(source, path, "unknown key" + known(u.getKnownPropertyIds()));
        }
        Throwable cause = e.getCause();
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ConfigException c) {
                return new ConfigException(source, ConfigException.join(path, c.key()), c.problem());
            }
        }
        if (cause instanceof IllegalArgumentException || cause instanceof NullPointerException) {
            return new ConfigException(source, path, String.valueOf(cause.getMessage()));
        }
        if (e instanceof InvalidFormatException f) {
            return new ConfigException(source, path, "expected " + expected(f.getTargetType()) + ", got '" + f.getValue() + "'");
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return new ConfigException(source, path, "expected " + expected(m.getTargetType()));
        }
        return new ConfigException(source, path, "invalid value");
    }

    private static String path(JsonMappingException e) {
        String path = "";
        for (JsonMappingException.Reference r : e.getPath()) {
            path = ConfigException.join(path, r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]");
        }
        return path;
    }

    private static String known(Collection<Object> ids) {
        if (ids == null || ids.isEmpty()) {
            return "";
        }
        return " (known keys: " + ids.stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
    }

    private static String expected(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Path.class) {
            return "a path";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a section of keys with values";
        }
        return "a value of another type";
    }
}
