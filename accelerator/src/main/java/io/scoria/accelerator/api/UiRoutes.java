package io.scoria.accelerator.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The web dashboard's static files under {@code /ui/}: the page, its scripts and styles (resources
 * under {@code /ui} in the jar) and the uPlot chart library (from its WebJar, under
 * {@code /ui/vendor/}). Served without a token, because they hold no data: every figure the page
 * shows comes from API calls that send the token the user pasted. Only the files listed here are
 * served (no path is mapped onto the class path, so nothing else can be reached); {@code /} and
 * {@code /ui} redirect to {@code /ui/}. Every file is read once, when the server starts.
 *
 * <p>Each answer carries a Content-Security-Policy that allows scripts, styles, images and
 * connections from this origin only (no inline script or style, no {@code eval}, no framing, no
 * form posts), so a volume name that slipped into markup could not run. Immutable, thread-safe.
 */
final class UiRoutes {
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final String UPLOT_POM = "/META-INF/maven/org.webjars.npm/uplot/pom.properties";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml");
    /** Files of the page, by their name under {@code /ui/}. */
    private static final String[] OWN = {"index.html", "app.css", "favicon.svg", "js/main.js", "js/api.js",
        "js/dom.js", "js/format.js", "js/overview.js", "js/volumes.js", "js/volume.js", "js/charts.js", "js/jobs.js",
        "js/distributor.js", "js/confirm.js"};

    /** The dashboard's routes as {@code openapi.yaml} describes them ({@code {file}} may hold '/'). */
    static final java.util.List<RouteTable.Route> ROUTES = java.util.List.of(new RouteTable.Route("GET", "/"),
            new RouteTable.Route("GET", "/ui"), new RouteTable.Route("GET", "/ui/"), new RouteTable.Route("GET", "/ui/{file}"));

    private final Map<String, Reply> files = new LinkedHashMap<>();

    UiRoutes() {
        for (String name : OWN) {
            files.put(name, file("/ui/" + name, name));
        }
        String uplot = "/META-INF/resources/webjars/uplot/" + uplotVersion() + "/dist/";
        files.put("vendor/uPlot.iife.min.js", file(uplot + "uPlot.iife.min.js", "uPlot.iife.min.js"));
        files.put("vendor/uPlot.min.css", file(uplot + "uPlot.min.css", "uPlot.min.css"));
        files.put("", files.get("index.html"));
    }

    /** True if {@code call} (not authenticated) is for the dashboard: {@code /}, {@code /ui} and below. */
    static boolean handles(ApiCall call) {
        return call.path.length == 0 || call.at(0).equals("ui");
    }

    /** Answers a call that {@link #handles}. */
    Reply route(ApiCall call) {
        if (!call.method.equals("GET")) {
            throw call.methodNotAllowed();
        }
        if (call.path.length <= 1 && !call.rawPath().equals("/ui/")) {
            return new Reply(302, null, Reply.JSON, Map.of("Location", "/ui/"));
        }
        Reply r = files.get(String.join("/", java.util.Arrays.copyOfRange(call.path, 1, call.path.length)));
        if (r == null) {
            throw call.notFound();
        }
        return r;
    }

    private static Reply file(String resource, String name) {
        try (InputStream in = UiRoutes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard file " + resource + " is not in this build");
            }
            String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
            return new Reply(200, new String(in.readAllBytes(), StandardCharsets.UTF_8), type,
                    Map.of("Content-Security-Policy", CONTENT_SECURITY_POLICY, "X-Frame-Options", "DENY",
                            "Referrer-Policy", "no-referrer", "Cache-Control", "no-cache"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboard file " + resource, e);
        }
    }

    private static String uplotVersion() {
        try (InputStream in = UiRoutes.class.getResourceAsStream(UPLOT_POM)) {
            if (in == null) {
                throw new IllegalStateException("the uPlot WebJar (org.webjars.npm:uplot) is not in this build");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + UPLOT_POM, e);
        }
    }
}
