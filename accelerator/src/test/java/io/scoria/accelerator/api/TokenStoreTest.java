package io.scoria.accelerator.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenStoreTest {
    @TempDir
    Path dir;

    @Test
    void tokensAreRandomStoredOnlyAsHashesOwnerOnlyAndSurviveAReopen() throws Exception {
        Path file = dir.resolve("api-tokens.json");
        Clock clock = Clock.fixed(Instant.parse("2026-12-08T10:00:00Z"), ZoneOffset.UTC);
        TokenStore store = TokenStore.open(file, new SecureRandom(), clock);
        assertTrue(store.list().isEmpty());
        assertFalse(Files.exists(file), "nothing written before the first token");
        IssuedToken a = store.create(Role.OPERATOR);
        IssuedToken b = store.create(Role.VIEWER);
        assertNotEquals(a.token().value(), b.token().value());
        assertNotEquals(a.info().id(), b.info().id());
        assertTrue(a.token().value().length() >= "scoria_".length() + 43, "256 random bits");

        assertEquals(TokenStore.OWNER_ONLY, Files.getPosixFilePermissions(file));
        String content = Files.readString(file);
        assertFalse(content.contains(a.token().value()) || content.contains(b.token().value()), content);
        assertTrue(content.contains(HexFormat.of().formatHex(a.token().sha256())), content);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }

        TokenStore reopened = TokenStore.open(file);
        assertEquals(List.of(a.info(), b.info()), reopened.list());
        assertEquals(a.info(), reopened.authenticate(BearerToken.of(a.token().value())).orElseThrow());
        assertTrue(reopened.authenticate(BearerToken.of(a.token().value() + "x")).isEmpty());

        assertTrue(reopened.revoke(a.info().id()));
        assertFalse(reopened.revoke(a.info().id()));
        assertTrue(TokenStore.open(file).authenticate(a.token()).isEmpty(), "revocation is on disk");
        assertEquals(b.info(), TokenStore.open(file).authenticate(b.token()).orElseThrow());
        assertEquals(TokenStore.OWNER_ONLY, Files.getPosixFilePermissions(file));
    }

    @Test
    void adminTokenFileIsWrittenOnceOwnerOnlyAndKeptAcrossRestarts() throws Exception {
        Path file = dir.resolve("admin.token");
        Path tokens = dir.resolve("api-tokens.json");
        AdminTokenFile.ensure(TokenStore.open(tokens), file);
        assertEquals(TokenStore.OWNER_ONLY, Files.getPosixFilePermissions(file));
        String first = Files.readString(file);
        BearerToken admin = AdminTokenFile.read(file);
        assertEquals(Role.ADMIN, TokenStore.open(tokens).authenticate(admin).orElseThrow().role());

        TokenStore restarted = TokenStore.open(tokens);
        AdminTokenFile.ensure(restarted, file);
        assertEquals(first, Files.readString(file), "kept across restarts");
        assertEquals(1, restarted.list().size(), "no second admin token");

        String id = restarted.authenticate(admin).orElseThrow().id();
        restarted.revoke(id);
        TokenStore afterRevoke = TokenStore.open(tokens);
        AdminTokenFile.ensure(afterRevoke, file);
        assertTrue(afterRevoke.authenticate(admin).isEmpty(), "a revoked admin.token is not brought back by a restart");
    }

    @Test
    void aDamagedTokenFileIsRefusedWithItsName() throws Exception {
        Path file = Files.writeString(dir.resolve("api-tokens.json"), "{\"version\": 1, \"tokens\": [");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> TokenStore.open(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
