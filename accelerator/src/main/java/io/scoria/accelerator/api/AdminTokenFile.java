package io.scoria.accelerator.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code <dataDir>/admin.token}: the admin token of a router, so that the CLI on the same host
 * works without setup. Written once (mode 0600, durably) when missing, kept across restarts;
 * its hash is in the {@link TokenStore} like any other token, so {@code scoria token revoke}
 * ends it (delete the file and restart to get a new one). Stateless.
 */
public final class AdminTokenFile {
    private static final Logger log = LoggerFactory.getLogger(AdminTokenFile.class);

    private AdminTokenFile() {
    }

    /** Makes sure {@code file} holds a valid admin token of {@code store}, creating both if the file is missing. */
    public static void ensure(TokenStore store, Path file) {
        if (Files.exists(file)) {
            BearerToken token = read(file);
            if (store.authenticate(token).isEmpty()) {
                log.warn("{} holds a token that is revoked or unknown to this router; delete the file and restart"
                        + " to issue a new admin token", file);
            }
            return;
        }
        IssuedToken issued = store.create(Role.ADMIN);
        TokenStore.writePrivate(file, (issued.token().value() + "\n").getBytes(StandardCharsets.US_ASCII));
        log.info("wrote a new admin token (id {}) to {}", issued.info().id(), file.toAbsolutePath());
    }

    /** The token in {@code file}. */
    public static BearerToken read(Path file) {
        try {
            return BearerToken.of(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the token file " + file + " does not hold a token", e);
        }
    }
}
