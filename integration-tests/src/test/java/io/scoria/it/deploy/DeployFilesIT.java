package io.scoria.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.scoria.it.nbd.Command;
import io.scoria.scrubber.ScrubMain;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The files in {@code deploy/}: the systemd units pass {@code systemd-analyze verify} (where the
 * command exists), keep their hardening options and start java with the root pom's JVM flags; the
 * Kubernetes scrub CronJob parses, runs one job at a time as a non-root user on a read-only root
 * filesystem, and calls {@code scoria-scrub} with options it has.
 */
class DeployFilesIT {
    private static final Path REPO = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
    private static final List<String> HARDENING = List.of("NoNewPrivileges=yes", "ProtectSystem=strict",
            "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes", "ProtectControlGroups=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
            "RestrictNamespaces=yes", "RestrictSUIDSGID=yes", "LockPersonality=yes", "SystemCallFilter=@system-service",
            "CapabilityBoundingSet=");

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void systemdUnitsVerifyAndKeepTheirHardening() throws Exception {
        String pom = Files.readString(REPO.resolve("pom.xml"));
        Matcher m = Pattern.compile("<scoria.jvm.flags>(.*)</scoria.jvm.flags>").matcher(pom);
        assertTrue(m.find(), "scoria.jvm.flags in pom.xml");
        List<String> units = List.of("scoria.service", "scoria-foc.service");
        for (String unit : units) {
            List<String> lines = Files.readAllLines(REPO.resolve("deploy/systemd").resolve(unit));
            for (String option : HARDENING) {
                assertTrue(lines.contains(option), unit + " lacks " + option);
            }
            String exec = lines.stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
            assertTrue(exec.startsWith("ExecStart=/usr/bin/java " + m.group(1) + " -jar /opt/scoria/scoria.jar "),
                    unit + ": the JVM flags differ from the pom's: " + exec);
        }
        Assumptions.assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed on this machine");
        List<String> argv = new ArrayList<>(List.of("systemd-analyze", "verify"));
        units.forEach(u -> argv.add(REPO.resolve("deploy/systemd").resolve(u).toString()));
        Command verify = Command.run(60, argv.toArray(new String[0]));
        assertEquals(0, verify.exitCode(), verify.output());
        assertEquals("", verify.output().trim(), "systemd-analyze verify has remarks");
    }

    @Test
    void theScrubWorkersRunScoriaScrubAsWorkersWithoutPrivileges() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<JsonNode> docs = new ArrayList<>();
        try (var it = yaml.readerFor(JsonNode.class).readValues(REPO.resolve("deploy/kubernetes/scrub-workers.yaml").toFile())) {
            while (it.hasNext()) {
                docs.add((JsonNode) it.next());
            }
        }
        assertEquals(List.of("ConfigMap", "Secret", "Deployment"), docs.stream().map(d -> d.get("kind").asText()).toList());
        JsonNode config = yaml.readTree(docs.get(0).at("/data/scrub.yaml").asText());
        assertEquals("s3", config.at("/backend/type").asText());
        JsonNode deployment = docs.get(2);
        assertTrue(deployment.at("/spec/replicas").asInt() >= 2, "several workers scrub different volumes at once");
        JsonNode pod = deployment.at("/spec/template/spec");
        assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
        JsonNode container = pod.at("/containers/0");
        assertTrue(container.at("/securityContext/readOnlyRootFilesystem").asBoolean());
        assertFalse(container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true));
        assertEquals("ALL", container.at("/securityContext/capabilities/drop/0").asText());
        List<String> command = new ArrayList<>();
        container.at("/command").forEach(c -> command.add(c.asText()));
        assertEquals(List.of("java", "-Xmx1g", "-jar", "/opt/scoria/scoria-scrub.jar"), command);
        List<String> args = new ArrayList<>();
        container.at("/args").forEach(a -> args.add(a.asText()));
        assertEquals("--worker", args.get(0), args.toString());
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(help, true, StandardCharsets.UTF_8);
        assertEquals(0, ScrubMain.run(new String[] {"--help"}, out, out));
        int n = 0;
        for (String a : args) {
            if (a.startsWith("--")) {
                n++;
                assertTrue(help.toString(StandardCharsets.UTF_8).contains(a), "scoria-scrub has no option " + a);
            }
        }
        assertEquals(6, n, args.toString());
        // the worker stops its scrub within --stop-timeout, before the pod is killed
        int stop = Integer.parseInt(args.get(args.indexOf("--stop-timeout") + 1).replace("s", ""));
        assertTrue(stop < pod.at("/terminationGracePeriodSeconds").asInt(), "stop timeout below the grace period");
    }
}
