package io.scoria.backend.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Refuses keys that no record component declares, before any record is built, so that a typo
 * ({@code acessKey}) is reported as such rather than as the validation error its absence causes.
 * Walks records, lists and string-keyed maps of records. Stateless.
 */
final class KnownKeys {
    private KnownKeys() {
    }

    /** @throws ConfigException naming the first unknown key by its full path, with the known ones */
    static void check(JsonNode node, Type type, String path) {
        if (node == null || node.isNull()) {
            return;
        }
        Class<?> raw = raw(type);
        if (raw != null && raw.isRecord() && node.isObject()) {
            RecordComponent[] components = raw.getRecordComponents();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                RecordComponent component = Arrays.stream(components)
                        .filter(c -> c.getName().equals(field.getKey())).findFirst().orElse(null);
                String key = ConfigException.join(path, field.getKey());
                if (component == null) {
                    throw new ConfigException(key, "unknown key (known keys: " + Arrays.stream(components)
                            .map(RecordComponent::getName).sorted().collect(Collectors.joining(", ")) + ")");
                }
                check(field.getValue(), component.getGenericType(), key);
            }
        } else if (raw != null && List.class.isAssignableFrom(raw) && node.isArray() && type instanceof ParameterizedType p) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), p.getActualTypeArguments()[0], ConfigException.join(path, "[" + i + "]"));
            }
        } else if (raw != null && Map.class.isAssignableFrom(raw) && node.isObject() && type instanceof ParameterizedType p) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                check(field.getValue(), p.getActualTypeArguments()[1], ConfigException.join(path, field.getKey()));
            }
        }
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        return type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c ? c : null;
    }
}
