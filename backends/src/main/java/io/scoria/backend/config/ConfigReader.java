package io.scoria.backend.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * The one reader of Scoria's YAML config files, used by {@code scoria serve}, {@code scoria
 * backend check}, {@code scoria-scrub} and every later job, so that a file means the same to all
 * of them. It maps the file (or one section of it, such as {@code backend:}) onto immutable
 * records that validate themselves in their constructors; each key and its default is declared
 * once, in its record. The rules:
 * <ul>
 * <li><b>Unknown keys</b> are refused with their full path: {@code scoria.yaml:
 *     backend.s3.acessKey: unknown key (known keys: accessKey, ...)}. Wrong types and invalid
 *     values are refused the same way, naming the key ({@code nbd.port: expected a whole
 *     number}); sizes take human units ({@code 4MiB}, {@link Sizes}), durations {@code 500ms},
 *     {@code 5s}, {@code 1m} ({@link Durations}).</li>
 * <li><b>Relative paths</b> (every {@link Path} component of a record, and secret files) are
 *     resolved against the directory of the config file, whatever the working directory; a
 *     program started without a config file (its embedded default) resolves them against the
 *     working directory.</li>
 * <li><b>Secrets</b> ({@link Secret} components: S3 access and secret keys, Swift keys and
 *     passwords) are written inline, or read from a file or an environment variable:
 *     {@code secretKey: {file: /etc/scoria/s3.secret}} (the file's trailing line breaks are
 *     dropped) or {@code secretKey: {env: SCORIA_S3_SECRET}}. A missing or empty file or variable
 *     is an error naming the key and the file or variable. No message of this reader contains a
 *     secret's value.</li>
 * </ul>
 * A reader holds the parsed document; it is immutable and may be shared between threads.
 */
public final class ConfigReader {
    /** Context attribute: the directory relative paths are resolved against (null: as written). */
    static final String BASE_DIR = "scoria.config.baseDir";
    /** Context attribute: the environment lookup for {@code {env: NAME}} secrets. */
    static final String ENV = "scoria.config.env";

    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION.mappedFeature())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .registerModule(new SimpleModule("scoria-config")
                    .addDeserializer(Path.class, new PathDeserializer())
                    .addDeserializer(Secret.class, new SecretDeserializer()));

    private final ObjectNode root;
    private final String source;
    private final Path baseDir;
    private final Function<String, String> env;

    private ConfigReader(ObjectNode root, String source, Path baseDir, Function<String, String> env) {
        this.root = root;
        this.source = source;
        this.baseDir = baseDir;
        this.env = env;
    }

    /**
     * Reads {@code file}; relative paths in it resolve against its directory.
     *
     * @throws ConfigException if the file is missing, unreadable or not a YAML mapping
     */
    public static ConfigReader read(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        String text;
        try {
            text = Files.readString(absolute);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file not found: " + file);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString(), absolute.getParent());
    }

    /**
     * Parses {@code yaml}, named {@code source} in messages. Relative paths resolve against
     * {@code baseDir}; when it is null they are kept as written (the working directory's).
     */
    public static ConfigReader parse(String yaml, String source, Path baseDir) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw ConfigErrors.syntax(e, source);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = JsonNodeFactory.instance.objectNode();
        }
        if (!tree.isObject()) {
            throw new ConfigException(source, null, "expected keys with values at the top level");
        }
        return new ConfigReader((ObjectNode) tree, source, baseDir == null ? null : baseDir.toAbsolutePath(),
                System::getenv);
    }

    /** This document with {@code {env: NAME}} secrets looked up in {@code lookup} instead of the process environment. */
    public ConfigReader withEnv(Function<String, String> lookup) {
        return new ConfigReader(root, source, baseDir, Objects.requireNonNull(lookup, "lookup"));
    }

    /**
     * This document with top-level {@code key} set to {@code value} if it is absent: for
     * defaults that must be read like written values, such as a relative default directory
     * that resolves against the config file's directory.
     */
    public ConfigReader withDefault(String key, String value) {
        if (root.hasNonNull(key)) {
            return this;
        }
        ObjectNode copy = root.deepCopy();
        copy.put(key, value);
        return new ConfigReader(copy, source, baseDir, env);
    }

    /** Whether the document has a non-null top-level {@code key}. */
    public boolean has(String key) {
        return root.hasNonNull(key);
    }

    /** The directory relative paths resolve against; null when they are kept as written. */
    public Path baseDir() {
        return baseDir;
    }

    /** The whole document as {@code type}. */
    public <T> T document(Class<T> type) {
        return map(root, "", type);
    }

    /**
     * The top-level section {@code key} as {@code type}; other sections are not looked at.
     *
     * @throws ConfigException if the section is missing or invalid
     */
    public <T> T section(String key, Class<T> type) {
        if (!root.hasNonNull(key)) {
            throw new ConfigException(source, key, "section is missing");
        }
        return map(root.get(key), key, type);
    }

    private <T> T map(JsonNode node, String prefix, Class<T> type) {
        try {
            KnownKeys.check(node, type, prefix);
        } catch (ConfigException e) {
            throw new ConfigException(source, e.key(), e.problem());
        }
        ObjectReader reader = MAPPER.readerFor(type).withAttribute(BASE_DIR, baseDir).withAttribute(ENV, env);
        try {
            return reader.readValue(node);
        } catch (JsonMappingException e) {
            throw ConfigErrors.mapping(e, source, prefix);
        } catch (IOException e) {
            throw new ConfigException(source, prefix, "cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }
}
