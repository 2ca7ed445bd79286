package io.scoria.accelerator.cli;

import io.scoria.accelerator.api.AdminTokenFile;
import io.scoria.accelerator.api.ApiTls;
import io.scoria.accelerator.api.BearerToken;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The options every client subcommand takes: {@code --api URL}, where the bearer token comes
 * from ({@code --token-file}, else {@code SCORIA_TOKEN}, else {@code ./scoria-data/admin.token}
 * if it exists) and {@code --ca-file} for an {@code https://} API with a private CA. The token
 * itself is never an option, so it does not show in the process list.
 */
final class ApiOptions {
    /** The admin token of {@code scoria serve} on its embedded default, read when nothing else is given. */
    static final Path DEFAULT_TOKEN_FILE = Path.of("scoria-data", "admin.token");

    @Option(names = "--api", paramLabel = "URL", defaultValue = "${env:SCORIA_API:-http://127.0.0.1:8080}",
            description = "management API of 'scoria serve' (default: ${DEFAULT-VALUE}; env SCORIA_API)")
    String api;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "file holding the bearer token (default: env SCORIA_TOKEN, else ./scoria-data/admin.token)")
    Path tokenFile;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "PEM certificates to trust for an https:// API (default: the JDK's trusted CAs)")
    Path caFile;

    ApiClient client() {
        SSLContext tls = caFile == null ? null : ApiTls.trusting(caFile);
        return new ApiClient(api, token(tokenFile, System.getenv(), DEFAULT_TOKEN_FILE), tls);
    }

    /**
     * The token to send: from {@code file} if given, else the {@code SCORIA_TOKEN} variable of
     * {@code env}, else {@code fallback} if it exists; null if none.
     */
    static BearerToken token(Path file, Map<String, String> env, Path fallback) {
        if (file != null) {
            return AdminTokenFile.read(file);
        }
        String fromEnv = env.get("SCORIA_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            if (!BearerToken.wellFormed(fromEnv)) {
                throw new IllegalArgumentException("SCORIA_TOKEN does not hold a token");
            }
            return BearerToken.of(fromEnv);
        }
        return Files.isRegularFile(fallback) ? AdminTokenFile.read(fallback) : null;
    }
}
