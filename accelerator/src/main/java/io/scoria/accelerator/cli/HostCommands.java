package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.scoria.accelerator.cli.ApiClient.seg;

/** {@code scoria host ...}: add, list and remove the hosts volumes are attached to. */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = "Add, list and remove hosts (what volumes are attached to).",
        subcommands = {HostCommands.Add.class, HostCommands.ListHosts.class, HostCommands.Remove.class})
final class HostCommands extends CommandGroup {

    /** How a host proves itself over NBD: exactly one. */
    static final class Identity {
        @Option(names = "--cert", paramLabel = "FILE", required = true,
                description = "its TLS client certificate (PEM); the router pins its SHA-256")
        Path certificate;
        @Option(names = "--cert-identity", paramLabel = "NAME", required = true,
                description = "a subject CN or DNS name of its TLS client certificate (signed by nbd.tlsClientCa)")
        String certificateIdentity;
        @Option(names = "--address", paramLabel = "CIDR", required = true, description = "its address or address block")
        String address;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a host.")
    static final class Add extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Identity identity;
        @Option(names = "--iqn", paramLabel = "IQN", description = "its iSCSI initiator name")
        String iqn;
        @Option(names = "--chap-secret-file", paramLabel = "FILE",
                description = "file holding its CHAP secret (12-255 characters; needs --iqn)")
        Path chapSecretFile;
        @Option(names = "--project", paramLabel = "PROJECT",
                description = "the project the host belongs to (default: the token's project; for a token of every"
                        + " project, default)")
        String project;

        @Override
        public void run() {
            String pem = identity.certificate == null ? null : read(identity.certificate, "--cert");
            String secret = chapSecretFile == null ? null : read(chapSecretFile, "--chap-secret-file").strip();
            JsonNode h = client().post("/v1/hosts", new ApiModel.AddHost(name, pem, identity.certificateIdentity,
                    identity.address, iqn, secret, project));
            out().println("added host " + describe(h));
        }

        private String read(Path file, String option) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), option + ": cannot read " + file + ": " + e);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List hosts (never their CHAP secrets).")
    static final class ListHosts extends ApiCommand {
        @Override
        public void run() {
            for (JsonNode h : client().get("/v1/hosts")) {
                out().println(describe(h));
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a host (no volume may be attached to it).")
    static final class Remove extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public void run() {
            client().delete("/v1/hosts/" + seg(name));
            out().println("removed host " + name);
        }
    }

    static String describe(JsonNode h) {
        StringBuilder b = new StringBuilder(h.get("name").asText()).append(" (");
        if (h.hasNonNull("certificateSha256")) {
            b.append("certificate ").append(h.get("certificateSubject").asText()).append(" sha256 ")
                    .append(h.get("certificateSha256").asText(), 0, 16).append("…");
        } else if (h.hasNonNull("certificateIdentity")) {
            b.append("certificate identity ").append(h.get("certificateIdentity").asText());
        } else {
            b.append("address ").append(h.get("address").asText());
        }
        if (h.hasNonNull("iqn")) {
            b.append(", iqn ").append(h.get("iqn").asText()).append(h.get("chap").asBoolean() ? ", CHAP" : "");
        }
        b.append(')');
        if (h.hasNonNull("project")) {
            b.append(" project ").append(h.get("project").asText());
        }
        if (h.get("volumes").size() > 0) {
            b.append(" volumes ").append(h.get("volumes"));
        }
        return b.toString();
    }
}
