package io.scoria.accelerator.cli;

import picocli.CommandLine.Option;

/** The {@code --api} option every client subcommand takes. */
final class ApiOptions {
    @Option(names = "--api", paramLabel = "URL", defaultValue = "${env:SCORIA_API:-http://127.0.0.1:8080}",
            description = "management API of 'scoria serve' (default: ${DEFAULT-VALUE}; env SCORIA_API)")
    String api;

    ApiClient client() {
        return new ApiClient(api);
    }
}
