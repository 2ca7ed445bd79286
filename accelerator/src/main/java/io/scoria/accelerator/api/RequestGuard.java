package io.scoria.accelerator.api;

import com.sun.net.httpserver.Headers;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The checks every request passes before it is authenticated, against browsers being used to
 * reach the API: the {@code Host} header must name this API (loopback names, the bound address
 * or a configured name; defeats DNS rebinding), an {@code Origin}, if sent, must be the API's
 * own or a configured one (cross-site requests), and a body on a mutating call must be
 * {@code application/json} (a {@code text/plain} form post is refused with 415) and not larger
 * than the limit (413). Immutable, thread-safe.
 */
final class RequestGuard {
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");
    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final Set<String> hosts = new HashSet<>(LOOPBACK);
    private final Set<String> origins = new HashSet<>();
    private final String scheme;
    private final int maxBodyBytes;

    RequestGuard(ApiServerConfig config) {
        hosts.add(hostPart(config.host().contains(":") && !config.host().startsWith("[")
                ? "[" + config.host() + "]" : config.host()));
        for (String h : config.allowedHosts()) {
            hosts.add(hostPart(h));
        }
        for (String o : config.allowedOrigins()) {
            origins.add(o.toLowerCase(Locale.ROOT));
        }
        scheme = config.scheme();
        maxBodyBytes = config.maxBodyBytes();
    }

    /** Throws a {@link ProblemException} if the request may not go on. */
    void check(String method, Headers headers) {
        String host = headers.getFirst("Host");
        if (host == null || !hosts.contains(hostPart(host))) {
            throw new ProblemException(421, "host-not-allowed", "Host not allowed",
                    "this API does not answer to the Host header sent; allowed hosts are configured with api.allowedHosts");
        }
        String origin = headers.getFirst("Origin");
        if (origin != null) {
            String o = origin.toLowerCase(Locale.ROOT);
            if (!o.equals(scheme + "://" + host.toLowerCase(Locale.ROOT)) && !origins.contains(o)) {
                throw new ProblemException(403, "origin-not-allowed", "Origin not allowed",
                        "cross-origin requests are refused; allowed origins are configured with api.allowedOrigins");
            }
        }
        long length = contentLength(headers);
        if (length > maxBodyBytes) {
            throw ProblemException.tooLarge(maxBodyBytes);
        }
        boolean body = length > 0 || headers.containsKey("Transfer-Encoding");
        if (body && MUTATING.contains(method) && !isJson(headers.getFirst("Content-Type"))) {
            throw new ProblemException(415, "unsupported-media-type", "Unsupported media type",
                    "request bodies must be sent as Content-Type: application/json");
        }
    }

    private static long contentLength(Headers headers) {
        String value = headers.getFirst("Content-Length");
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest("Content-Length is not a number");
        }
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return media.equalsIgnoreCase("application/json");
    }

    /** {@code name} of {@code name[:port]} or {@code [v6]} of {@code [v6][:port]}, lower case. */
    private static String hostPart(String hostHeader) {
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }
}
