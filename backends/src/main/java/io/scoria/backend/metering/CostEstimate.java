package io.scoria.backend.metering;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What counted requests and bytes cost at the prices of a {@link PriceTable}: one line per
 * request kind and per transfer direction, and the total. An estimate of requests and transfer
 * only: stored bytes (GiB-months) are not counted here. Immutable.
 */
public record CostEstimate(PriceTable prices, RequestCounts counts, List<Line> lines, double total) {
    private static final double GIB = 1024.0 * 1024 * 1024;

    /**
     * One priced item.
     *
     * @param item     {@code put}, ..., {@code transfer in}, {@code transfer out}
     * @param quantity requests, or GiB for transfer
     * @param unitPrice per 1,000 requests, or per GiB
     * @param cost     quantity times price
     */
    public record Line(String item, double quantity, double unitPrice, double cost) {
    }

    public CostEstimate {
        lines = List.copyOf(lines);
    }

    /** Prices {@code counts} with {@code prices}. */
    public static CostEstimate of(RequestCounts counts, PriceTable prices) {
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(prices, "prices");
        List<Line> lines = new ArrayList<>();
        double total = 0;
        for (RequestKind kind : RequestKind.values()) {
            long n = counts.count(kind);
            double unit = prices.requests().perThousand(kind);
            double cost = n * unit / 1000.0;
            lines.add(new Line(kind.label(), n, unit, cost));
            total += cost;
        }
        double in = counts.bytesIn() / GIB;
        double out = counts.bytesOut() / GIB;
        lines.add(new Line("transfer in", in, prices.transfer().in(), in * prices.transfer().in()));
        lines.add(new Line("transfer out", out, prices.transfer().out(), out * prices.transfer().out()));
        total += in * prices.transfer().in() + out * prices.transfer().out();
        return new CostEstimate(prices, counts, lines, total);
    }
}
