package io.scoria.accelerator.api;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Settings of the {@link ApiServer}, validated when built. Immutable.
 *
 * @param host           address to listen on ({@code 127.0.0.1} by default)
 * @param port           TCP port, 0 for any free one
 * @param tokenFile      the {@link TokenStore} file ({@code <dataDir>/api-tokens.json})
 * @param adminTokenFile where the router's admin token is written when missing
 *                       ({@code <dataDir>/admin.token}); null: none is written
 * @param tls            PEM certificate chain and PKCS#8 private key; null: plain HTTP
 * @param allowedHosts   {@code Host} header names accepted besides loopback names and {@code host}
 * @param allowedOrigins {@code Origin}s ({@code scheme://host[:port]}) accepted besides the API's own
 * @param maxBodyBytes   largest request body accepted (413 above)
 */
public record ApiServerConfig(String host, int port, Path tokenFile, Path adminTokenFile, Tls tls,
                              List<String> allowedHosts, List<String> allowedOrigins, int maxBodyBytes) {
    /** The default request body limit: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

    /** A PEM certificate chain and its PEM (PKCS#8) private key. */
    public record Tls(Path certificate, Path privateKey) {
        public Tls {
            Objects.requireNonNull(certificate, "api.tls.certificate");
            Objects.requireNonNull(privateKey, "api.tls.privateKey");
            if (!Files.isReadable(certificate)) {
                throw new IllegalArgumentException("api.tls.certificate: cannot read " + certificate);
            }
            if (!Files.isReadable(privateKey)) {
                throw new IllegalArgumentException("api.tls.privateKey: cannot read " + privateKey);
            }
        }
    }

    public ApiServerConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("api.host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("api.port must be 0-65535: " + port);
        }
        Objects.requireNonNull(tokenFile, "tokenFile");
        allowedHosts = List.copyOf(allowedHosts);
        for (String h : allowedHosts) {
            if (h.isBlank() || h.contains("/") || h.contains(" ")) {
                throw new IllegalArgumentException("api.allowedHosts: not a host name: '" + h + "'");
            }
        }
        allowedOrigins = List.copyOf(allowedOrigins);
        for (String o : allowedOrigins) {
            checkOrigin(o);
        }
        if (maxBodyBytes < 1024 || maxBodyBytes > (64 << 20)) {
            throw new IllegalArgumentException("api.maxBodySize must be 1KiB-64MiB: " + maxBodyBytes);
        }
    }

    /** Plain HTTP on {@code host:port}, tokens and {@code admin.token} under {@code dataDir}, 1 MiB bodies. */
    public static ApiServerConfig of(String host, int port, Path dataDir) {
        return new ApiServerConfig(host, port, dataDir.resolve("api-tokens.json"), dataDir.resolve("admin.token"),
                null, List.of(), List.of(), DEFAULT_MAX_BODY_BYTES);
    }

    public ApiServerConfig withTls(Tls newTls) {
        return new ApiServerConfig(host, port, tokenFile, adminTokenFile, newTls, allowedHosts, allowedOrigins,
                maxBodyBytes);
    }

    public ApiServerConfig withAllowed(List<String> hosts, List<String> origins) {
        return new ApiServerConfig(host, port, tokenFile, adminTokenFile, tls, hosts, origins, maxBodyBytes);
    }

    public ApiServerConfig withMaxBodyBytes(int bytes) {
        return new ApiServerConfig(host, port, tokenFile, adminTokenFile, tls, allowedHosts, allowedOrigins, bytes);
    }

    /** Whether {@code host} is a loopback address (the API cannot be reached from another machine). */
    public boolean loopbackOnly() {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** {@code https} with TLS, else {@code http}. */
    public String scheme() {
        return tls == null ? "http" : "https";
    }

    private static void checkOrigin(String origin) {
        URI u;
        try {
            u = URI.create(origin);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("api.allowedOrigins: not an origin: '" + origin + "'");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        boolean bare = u.getRawPath() == null || u.getRawPath().isEmpty();
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || !bare
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("api.allowedOrigins: not scheme://host[:port]: '" + origin + "'");
        }
    }
}
