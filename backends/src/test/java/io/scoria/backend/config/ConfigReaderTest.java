package io.scoria.backend.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigReaderTest {
    private static final String SECRET = "s3cr3t-Value-42";

    /** A section like the ones programs declare: paths, secrets, sizes, nested records and lists. */
    record Store(Path root, Secret token, String size, Integer port, Inner inner, List<Inner> more) {
        Store {
            size = size == null ? "4MiB" : size;
            Sizes.parse("size", size);
            ConfigException.check(port == null || port > 0, "port", "must be positive: " + port);
        }
    }

    record Inner(Path dir, Secret password) {
        Inner {
            ConfigException.check(dir != null, "dir", "is required");
        }
    }

    @TempDir
    Path tmp;

    private Path write(String name, String text) throws Exception {
        Path file = tmp.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private static ConfigException refused(String yaml) {
        return assertThrows(ConfigException.class,
                () -> ConfigReader.parse(yaml, "t.yaml", null).withEnv(Map.<String, String>of()::get).section("store", Store.class));
    }

    @Test
    void relativePathsResolveAgainstTheConfigFilesDirectoryNotTheWorkingDirectory() throws Exception {
        Path file = write("etc/scoria/store.yaml", """
                store:
                  root: data/objects
                  inner: {dir: ../shared}
                  more: [{dir: /abs/x}, {dir: y}]
                """);
        assertNotEquals(tmp.resolve("etc/scoria").toAbsolutePath(), Path.of("").toAbsolutePath());
        Store s = ConfigReader.read(file).section("store", Store.class);
        assertEquals(tmp.resolve("etc/scoria/data/objects").toAbsolutePath(), s.root());
        assertEquals(tmp.resolve("etc/shared").toAbsolutePath(), s.inner().dir());
        assertEquals(Path.of("/abs/x"), s.more().get(0).dir());
        assertEquals(tmp.resolve("etc/scoria/y").toAbsolutePath(), s.more().get(1).dir());
    }

    @Test
    void withoutAFileRelativePathsStayAsWritten() {
        Store s = ConfigReader.parse("store: {root: data}", "text", null).section("store", Store.class);
        assertEquals(Path.of("data"), s.root());
        assertEquals(Path.of("data").toAbsolutePath(), s.root().toAbsolutePath());
    }

    @Test
    void unknownKeysAreRefusedWithTheirFullPath() {
        ConfigException e = refused("store: {root: r, inner: {dir: d, pasword: x}}");
        assertTrue(e.getMessage().startsWith("t.yaml: store.inner.pasword: unknown key (known keys: dir, password)"),
                e.getMessage());
        e = refused("store: {root: r, more: [{dir: a}, {dir: b, dri: c}]}");
        assertTrue(e.getMessage().startsWith("t.yaml: store.more[1].dri: unknown key"), e.getMessage());
        e = refused("store: {port: -1, prot: 1}");
        assertTrue(e.getMessage().startsWith("t.yaml: store.prot: unknown key (known keys: inner, more, port, root, size, token)"),
                "a typo is named before the record's own checks run: " + e.getMessage());
    }

    @Test
    void wrongTypesAndBadValuesNameTheKey() {
        assertEquals("t.yaml: store.port: expected a whole number, got 'eighty'",
                refused("store: {port: eighty}").getMessage());
        assertEquals("t.yaml: store.port: must be positive: -1", refused("store: {port: -1}").getMessage());
        assertTrue(refused("store: {size: lots}").getMessage().startsWith("t.yaml: store.size: not a size: 'lots'"));
        assertEquals("t.yaml: store.more[0].dir: is required", refused("store: {more: [{}]}").getMessage());
        assertEquals("t.yaml: store.inner: expected a section of keys with values",
                refused("store: {inner: [1, 2]}").getMessage());
        assertEquals("t.yaml: store: section is missing", refused("other: {}").getMessage());
        assertEquals("t.yaml: expected keys with values at the top level",
                assertThrows(ConfigException.class, () -> ConfigReader.parse("- a\n- b\n", "t.yaml", null)).getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> ConfigReader.read(tmp.resolve("none.yaml")));
        assertTrue(missing.getMessage().contains("config file not found"), missing.getMessage());
    }

    @Test
    void secretsAreReadInlineFromAFileOrFromTheEnvironment() throws Exception {
        write("conf/secrets/token", SECRET + "\n");
        Path file = write("conf/s.yaml", """
                store:
                  token: {file: secrets/token}
                  inner: {dir: d, password: {env: SCORIA_TEST_PASSWORD}}
                  more: [{dir: d, password: inline-one}]
                """);
        Store s = ConfigReader.read(file).withEnv(Map.of("SCORIA_TEST_PASSWORD", "from-env")::get)
                .section("store", Store.class);
        assertEquals(SECRET, s.token().reveal());
        assertEquals("from-env", s.inner().password().reveal());
        assertEquals("inline-one", s.more().get(0).password().reveal());
        assertFalse(s.toString().contains(SECRET), s.toString());
        assertFalse(s.toString().contains("from-env"), s.toString());
        assertFalse(s.toString().contains("inline-one"), s.toString());
        assertEquals("***", Secret.of(SECRET).toString());
    }

    @Test
    void aMissingSecretFileOrVariableNamesTheKeyAndTheSourceButNoValue() throws Exception {
        Path file = write("c/s.yaml", "store: {token: {file: missing.secret}}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigReader.read(file).section("store", Store.class));
        assertEquals(file + ": store.token: secret file " + tmp.resolve("c/missing.secret").toAbsolutePath()
                + " not found", e.getMessage());
        e = refused("store: {inner: {dir: d, password: {env: SCORIA_UNSET_VARIABLE}}}");
        assertEquals("t.yaml: store.inner.password: environment variable SCORIA_UNSET_VARIABLE is not set", e.getMessage());
        write("c/empty.secret", "\n");
        Path empty = write("c/e.yaml", "store: {token: {file: empty.secret}}\n");
        e = assertThrows(ConfigException.class, () -> ConfigReader.read(empty).section("store", Store.class));
        assertTrue(e.getMessage().endsWith("empty.secret is empty"), e.getMessage());
        e = refused("store: {token: {path: x}}");
        assertTrue(e.getMessage().startsWith("t.yaml: store.token.path: unknown key"), e.getMessage());
    }

    @Test
    void errorsAboutASecretNeverContainItsValue() {
        List<String> bad = List.of(
                "store: {token: [" + SECRET + "]}",
                "store: {token: {file: x, env: " + SECRET + "}}",
                "store: {token: " + SECRET + ", port: -1}",
                "store: {token: " + SECRET + ", tokn: " + SECRET + "}",
                "store: {token: \"" + SECRET + "}\n",
                "store:\n  token: " + SECRET + "\n  inner: {dir: d\n");
        for (String yaml : bad) {
            ConfigException e = refused(yaml);
            assertFalse(e.getMessage().contains(SECRET), e.getMessage());
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains(SECRET), yaml + " -> " + t);
            }
        }
    }

    record Top(Path dataDir, Store store) {
    }

    @Test
    void aDefaultAddedToTheDocumentResolvesLikeAWrittenValue() throws Exception {
        Path file = write("d/s.yaml", "store: {root: r}\n");
        Top t = ConfigReader.read(file).withDefault("dataDir", "scoria-data").document(Top.class);
        assertEquals(tmp.resolve("d/scoria-data").toAbsolutePath(), t.dataDir());
        assertEquals("4MiB", t.store().size());
        Path written = write("e/s.yaml", "dataDir: /srv/data\n");
        assertEquals(Path.of("/srv/data"), ConfigReader.read(written).withDefault("dataDir", "scoria-data")
                .document(Top.class).dataDir());
    }
}
