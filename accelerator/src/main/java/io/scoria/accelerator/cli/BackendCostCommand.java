package io.scoria.accelerator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.scoria.backend.metering.CostEstimate;
import io.scoria.backend.metering.PriceTable;
import io.scoria.backend.metering.RequestCounts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

import static io.scoria.accelerator.cli.ApiClient.seg;

/**
 * {@code scoria backend cost --prices FILE [--volume NAME]}: what the requests and bytes the
 * running router's backend counted since it started cost at the prices of a user's price file
 * ({@link PriceTable}); the counts are those a provider bills (under a distributor, its stores').
 */
@Command(name = "cost", mixinStandardHelpOptions = true,
        description = {"Estimate what the backend requests and transfer counted since the router started cost,",
                "with a price table you supply (example: backends/src/main/resources/prices/s3-example.yaml).",
                "Storage (GiB-months) is not included."})
final class BackendCostCommand extends ApiCommand {
    @Option(names = "--prices", required = true, paramLabel = "FILE", description = "YAML price table")
    Path prices;
    @Option(names = "--volume", paramLabel = "NAME", description = "only this volume's requests (default: all)")
    String volume;

    @Override
    public void run() {
        PriceTable table = PriceTable.read(prices);
        ApiClient c = client();
        JsonNode counts = volume == null ? c.get("/v1/backend/requests").get("billed")
                : c.get("/v1/volumes/" + seg(volume)).get("billedRequests");
        if (counts == null || counts.isNull()) {
            throw new IllegalStateException("the router's backend does not count requests");
        }
        CostEstimate e = CostEstimate.of(c.as(counts, new com.fasterxml.jackson.core.type.TypeReference<RequestCounts>() {
        }), table);
        print(e, volume == null ? "all volumes" : "volume " + volume, out());
    }

    static void print(CostEstimate e, String scope, PrintWriter out) {
        out.printf("%s, %s, prices: %s%n", scope, "requests since the router started", e.prices().name());
        out.printf("%-14s %16s %14s %14s%n", "ITEM", "QUANTITY", "UNIT PRICE", "COST " + e.prices().currency());
        for (CostEstimate.Line l : e.lines()) {
            boolean transfer = l.item().startsWith("transfer");
            out.printf("%-14s %16s %14s %14.6f%n", l.item(),
                    transfer ? String.format("%.3f GiB", l.quantity()) : String.format("%.0f", l.quantity()),
                    String.format(transfer ? "%.4f/GiB" : "%.4f/1000", l.unitPrice()), l.cost());
        }
        out.printf("%-14s %16s %14s %14.6f%n", "total", "", "", e.total());
    }
}
