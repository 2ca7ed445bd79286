package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.accelerator.api.ApiModel;
import io.scoria.backend.config.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import static io.scoria.accelerator.cli.ApiClient.seg;

/**
 * {@code scoria volume qos NAME [caps]}: shows a volume's QoS caps, or changes the given ones (the
 * others stay as they are; 0 removes one cap, {@code --clear} all). Changes apply to attached clients
 * from their next request.
 */
@Command(name = "qos", mixinStandardHelpOptions = true,
        description = "Show or change a volume's QoS caps (IOPS and bandwidth, read/write, burst).")
final class QosCommand extends ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;
    @Option(names = "--iops", paramLabel = "N", description = "operations per second, reads and writes together")
    Long iops;
    @Option(names = "--read-iops", paramLabel = "N")
    Long readIops;
    @Option(names = "--write-iops", paramLabel = "N")
    Long writeIops;
    @Option(names = "--bandwidth", paramLabel = "SIZE", description = "bytes per second, e.g. 100MiB")
    String bandwidth;
    @Option(names = "--read-bandwidth", paramLabel = "SIZE")
    String readBandwidth;
    @Option(names = "--write-bandwidth", paramLabel = "SIZE")
    String writeBandwidth;
    @Option(names = "--burst-seconds", paramLabel = "S", description = "seconds of each cap let through at once (default 1)")
    Double burstSeconds;
    @Option(names = "--clear", description = "remove every cap")
    boolean clear;

    @Override
    public void run() {
        ApiClient c = client();
        String path = "/v1/volumes/" + seg(name) + "/qos";
        if (clear) {
            c.delete(path);
            out().println("removed the QoS caps of " + name);
            return;
        }
        JsonNode now = c.get(path);
        if (iops == null && readIops == null && writeIops == null && bandwidth == null && readBandwidth == null
                && writeBandwidth == null && burstSeconds == null) {
            out().println(describe(name, now));
            return;
        }
        JsonNode set = c.put(path, new ApiModel.SetQos(
                or(iops, now, "iops"), or(readIops, now, "readIops"), or(writeIops, now, "writeIops"),
                orSize("--bandwidth", bandwidth, now, "bandwidth"),
                orSize("--read-bandwidth", readBandwidth, now, "readBandwidth"),
                orSize("--write-bandwidth", writeBandwidth, now, "writeBandwidth"),
                burstSeconds != null ? burstSeconds : now.get("burstSeconds").asDouble()));
        out().println(describe(name, set));
    }

    private static Long or(Long given, JsonNode now, String field) {
        return given != null ? given : now.get(field).asLong();
    }

    private static Long orSize(String option, String given, JsonNode now, String field) {
        return given != null ? (Long) (given.equals("0") ? 0L : Sizes.parse(option, given)) : now.get(field).asLong();
    }

    static String describe(String name, JsonNode q) {
        StringBuilder b = new StringBuilder(name).append(": ");
        int before = b.length();
        cap(b, "iops", q.get("iops").asLong(), false);
        cap(b, "read iops", q.get("readIops").asLong(), false);
        cap(b, "write iops", q.get("writeIops").asLong(), false);
        cap(b, "bandwidth", q.get("bandwidth").asLong(), true);
        cap(b, "read bandwidth", q.get("readBandwidth").asLong(), true);
        cap(b, "write bandwidth", q.get("writeBandwidth").asLong(), true);
        if (b.length() == before) {
            return b.append("no QoS caps").toString();
        }
        return b.append("burst ").append(q.get("burstSeconds").asDouble()).append(" s").toString();
    }

    private static void cap(StringBuilder b, String what, long value, boolean bytes) {
        if (value > 0) {
            b.append(what).append(' ').append(bytes ? Sizes.format(value) + "/s" : Long.toString(value)).append(", ");
        }
    }
}
