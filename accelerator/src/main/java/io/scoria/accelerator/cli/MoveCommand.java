package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import static io.scoria.accelerator.cli.ApiClient.seg;

/**
 * {@code scoria volume move VOL --to NODE}: hands a volume to another node of the cluster through the
 * owner's REST API ({@code --api} must reach the node that owns it) and prints the measured pause.
 */
@Command(name = "move", mixinStandardHelpOptions = true,
        description = {"Hand a volume to another node of the cluster (live migration); no acknowledged write is lost.",
                "Ask the node that owns the volume (--api). NBD clients of the old owner are disconnected and reconnect",
                "to the new one. Prints the pause: from the last write the old owner acknowledged to the new owner serving."})
final class MoveCommand extends ApiCommand {
    @Parameters(index = "0", paramLabel = "VOLUME")
    String name;
    @Option(names = "--to", required = true, paramLabel = "NODE", description = "the node id to move the volume to")
    String to;

    @Override
    public void run() {
        JsonNode r = client().post("/v1/volumes/" + seg(name) + "/move", new ApiModel.Move(to));
        out().printf("moved volume %s from node %s (epoch %d) to node %s (epoch %d): pause %d ms (drain %d ms, take-over %d ms)%n",
                r.get("volume").asText(), r.get("from").asText(), r.get("fromEpoch").asLong(), r.get("to").asText(),
                r.get("epoch").asLong(), r.get("pauseMs").asLong(), r.get("drainMs").asLong(), r.get("takeoverMs").asLong());
    }
}
