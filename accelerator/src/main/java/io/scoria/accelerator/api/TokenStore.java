package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.sco.Durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer tokens of the management API, kept in one JSON file (mode 0600, replaced with
 * {@link Durable#replace} on every change: temporary file, fsync, rename, fsync of the
 * directory). Only each token's SHA-256 is stored, never the token:
 * <pre>
 * {"version": 1, "tokens": [{"id": "3f2a9c1b0d4e", "role": "operator", "project": "team-a",
 *                            "created": "2026-12-08T10:00:00Z", "sha256": "64 hex digits"}]}
 * </pre>
 * {@code project} is a project name or {@code *} (every project, {@link TokenInfo#ALL_PROJECTS}); a token
 * stored without one was made before projects, when every token reached everything, and keeps that reach
 * ({@code *}): narrowing it would lock out the router's own {@code admin.token}.
 * {@link #authenticate} compares the presented token's hash with every stored hash in constant
 * time. Thread-safe (one lock; authentication reads an immutable snapshot).
 */
public final class TokenStore {
    /** Owner read/write only: the permissions of the token file and of {@code admin.token}. */
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final int VERSION = 1;
    private static final int ID_BYTES = 6;

    private record StoredToken(String id, Role role, Instant created, String sha256, String project) {
    }

    private record StoredTokens(int version, List<StoredToken> tokens) {
    }

    private record Entry(TokenInfo info, byte[] hash) {
    }

    private final Path file;
    private final SecureRandom random;
    private final Clock clock;
    private final ObjectMapper json = Json.mapper();
    private volatile Map<String, Entry> entries;

    private TokenStore(Path file, SecureRandom random, Clock clock, Map<String, Entry> entries) {
        this.file = file;
        this.random = random;
        this.clock = clock;
        this.entries = entries;
    }

    /** The tokens in {@code file} (none if it does not exist yet; it is written on the first change). */
    public static TokenStore open(Path file) {
        return open(file, new SecureRandom(), Clock.systemUTC());
    }

    static TokenStore open(Path file, SecureRandom random, Clock clock) {
        Objects.requireNonNull(file, "file");
        Map<String, Entry> entries = new LinkedHashMap<>();
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new TokenStore(file, random, clock, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API token file " + file, e);
        }
        StoredTokens stored;
        try {
            stored = Json.mapper().readValue(raw, StoredTokens.class);
        } catch (IOException e) {
            throw new IllegalStateException("the API token file " + file + " is not valid: " + e.getMessage(), e);
        }
        if (stored.version() != VERSION || stored.tokens() == null) {
            throw new IllegalStateException("the API token file " + file + " has version " + stored.version()
                    + "; this program reads version " + VERSION);
        }
        for (StoredToken t : stored.tokens()) {
            byte[] hash = HexFormat.of().parseHex(t.sha256());
            if (hash.length != 32) {
                throw new IllegalStateException("token " + t.id() + " in " + file + " has no SHA-256");
            }
            TokenInfo info;
            try {
                info = new TokenInfo(t.id(), t.role(), t.created(),
                        t.project() == null ? TokenInfo.ALL_PROJECTS : t.project());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("token " + t.id() + " in " + file + " is not valid: " + e.getMessage(), e);
            }
            entries.put(t.id(), new Entry(info, hash));
        }
        return new TokenStore(file, random, clock, Collections.unmodifiableMap(entries));
    }

    /** Creates and stores a new cluster-wide token of {@code role} (every project); the secret exists nowhere else. */
    public IssuedToken create(Role role) {
        return create(role, TokenInfo.ALL_PROJECTS);
    }

    /**
     * Creates and stores a new token of {@code role} for {@code project} (a project name, or
     * {@link TokenInfo#ALL_PROJECTS}); the returned secret exists nowhere else.
     */
    public synchronized IssuedToken create(Role role, String project) {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(project, "project");
        BearerToken token = BearerToken.generate(random);
        String id;
        do {
            byte[] b = new byte[ID_BYTES];
            random.nextBytes(b);
            id = HexFormat.of().formatHex(b);
        } while (entries.containsKey(id));
        TokenInfo info = new TokenInfo(id, role, clock.instant(), project);
        Map<String, Entry> next = new LinkedHashMap<>(entries);
        next.put(id, new Entry(info, token.sha256()));
        persist(next);
        return new IssuedToken(info, token);
    }

    /** All tokens, oldest first. */
    public List<TokenInfo> list() {
        List<TokenInfo> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            out.add(e.info());
        }
        out.sort((a, b) -> a.created().compareTo(b.created()));
        return out;
    }

    /** Removes token {@code id}; false if there is none. */
    public synchronized boolean revoke(String id) {
        if (!entries.containsKey(id)) {
            return false;
        }
        Map<String, Entry> next = new LinkedHashMap<>(entries);
        next.remove(id);
        persist(next);
        return true;
    }

    /** The stored token equal to {@code presented}, compared by hash in constant time. */
    public Optional<TokenInfo> authenticate(BearerToken presented) {
        byte[] hash = presented.sha256();
        TokenInfo found = null;
        for (Entry e : entries.values()) {
            if (MessageDigest.isEqual(hash, e.hash())) {
                found = e.info();
            }
        }
        return Optional.ofNullable(found);
    }

    private void persist(Map<String, Entry> next) {
        List<StoredToken> out = new ArrayList<>();
        for (Entry e : next.values()) {
            out.add(new StoredToken(e.info().id(), e.info().role(), e.info().created(),
                    HexFormat.of().formatHex(e.hash()), e.info().project()));
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            writePrivate(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(new StoredTokens(VERSION, out)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the API token file " + file, e);
        }
        entries = Collections.unmodifiableMap(next);
    }

    /** Replaces {@code file} durably with {@code content}, readable by its owner only. */
    static void writePrivate(Path file, byte[] content) {
        FileAttribute<Set<PosixFilePermission>> ownerOnly = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
        Durable.replace(file, ByteBuffer.wrap(content), ownerOnly);
    }
}
