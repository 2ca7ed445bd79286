package io.scoria.backend.metering;

import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.ConfigReader;

import java.nio.file.Path;

/**
 * What a provider charges for requests and transfer, as the user writes it in a YAML price
 * file ({@code scoria backend cost --prices FILE}); an example for public S3 is
 * {@code backends/src/main/resources/prices/s3-example.yaml}. Read with {@link ConfigReader},
 * so an unknown key, a missing price, a negative or non-numeric one is refused with the file
 * and the key named ({@code prices.yaml: requests.put: is required}). Immutable.
 *
 * <pre>
 * name: "AWS S3 Standard, us-east-1 (EXAMPLE)"   # shown in the estimate
 * currency: USD
 * requests:        # price per 1,000 requests of each kind
 *   { put: 0.005, get: 0.0004, rangedGet: 0.0004, head: 0.0004, list: 0.005, delete: 0 }
 * transfer:        # price per GiB
 *   { in: 0, out: 0.09 }
 * </pre>
 */
public record PriceTable(String name, String currency, Requests requests, Transfer transfer) {
    public PriceTable {
        ConfigException.check(name != null && !name.isBlank(), "name", "is required");
        ConfigException.check(currency != null && !currency.isBlank(), "currency", "is required");
        ConfigException.check(requests != null, "requests", "is required");
        ConfigException.check(transfer != null, "transfer", "is required");
    }

    /** Reads and checks a price file. */
    public static PriceTable read(Path file) {
        return ConfigReader.read(file).document(PriceTable.class);
    }

    /** Price per 1,000 requests of each kind. */
    public record Requests(Double put, Double get, Double rangedGet, Double head, Double list, Double delete) {
        public Requests {
            price(put, "put");
            price(get, "get");
            price(rangedGet, "rangedGet");
            price(head, "head");
            price(list, "list");
            price(delete, "delete");
        }

        /** The price of 1,000 requests of {@code kind}. */
        public double perThousand(RequestKind kind) {
            return switch (kind) {
                case PUT -> put;
                case GET -> get;
                case RANGED_GET -> rangedGet;
                case HEAD -> head;
                case LIST -> list;
                case DELETE -> delete;
            };
        }
    }

    /** Price per GiB into the store ({@code in}) and out of it ({@code out}). */
    public record Transfer(Double in, Double out) {
        public Transfer {
            price(in, "in");
            price(out, "out");
        }
    }

    private static void price(Double value, String key) {
        ConfigException.check(value != null, key, "is required (a price, 0 if free)");
        ConfigException.check(Double.isFinite(value) && value >= 0, key, "must be a price of 0 or more: " + value);
    }
}
