package io.scoria.backend.metering;

import io.scoria.backend.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceTableTest {
    private static final String GOOD = """
            name: test
            currency: USD
            requests: {put: 0.005, get: 0.0004, rangedGet: 0.0004, head: 0.0004, list: 0.005, delete: 0}
            transfer: {in: 0, out: 0.09}
            """;

    @TempDir
    Path tmp;

    private Path file(String yaml) throws Exception {
        return Files.writeString(tmp.resolve("prices.yaml"), yaml);
    }

    @Test
    void theShippedExampleReadsAndSaysItIsAnExample() throws Exception {
        Path example = Path.of("src/main/resources/prices/s3-example.yaml");
        PriceTable p = PriceTable.read(example);
        assertTrue(p.name().contains("EXAMPLE"), p.name());
        assertEquals(0.005, p.requests().put());
        assertTrue(Files.readString(example).contains("2026-12-07"), "the example carries its date");
    }

    @Test
    void costIsCountsTimesPrices() throws Exception {
        PriceTable p = PriceTable.read(file(GOOD));
        long gib = 1L << 30;
        RequestCounts counts = new RequestCounts(40_000, 1000, 2_000_000, 500, 100, 7, 10 * gib, 2 * gib);
        CostEstimate e = CostEstimate.of(counts, p);
        double expected = 40 * 0.005 + 1 * 0.0004 + 2000 * 0.0004 + 0.5 * 0.0004 + 0.1 * 0.005 + 0 + 0 + 2 * 0.09;
        assertEquals(expected, e.total(), 1e-9);
        assertEquals(8, e.lines().size());
        assertEquals(0.2, e.lines().get(0).cost(), 1e-12, "40,000 PUTs at 0.005 per 1,000");
        assertEquals(2.0, e.lines().get(7).quantity(), 1e-12, "2 GiB out");
    }

    @Test
    void aMissingPriceIsNamed() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> PriceTable.read(file(GOOD.replace("put: 0.005, ", ""))));
        assertTrue(e.getMessage().contains("requests.put: is required"), e.getMessage());
    }

    @Test
    void aNegativeOrNonNumericPriceIsNamed() throws Exception {
        ConfigException neg = assertThrows(ConfigException.class, () -> PriceTable.read(file(GOOD.replace("out: 0.09", "out: -1"))));
        assertTrue(neg.getMessage().contains("transfer.out: must be a price of 0 or more"), neg.getMessage());
        ConfigException text = assertThrows(ConfigException.class,
                () -> PriceTable.read(file(GOOD.replace("head: 0.0004", "head: cheap"))));
        assertTrue(text.getMessage().contains("requests.head"), text.getMessage());
    }

    @Test
    void anUnknownKeyOrMissingFileIsNamed() throws Exception {
        ConfigException typo = assertThrows(ConfigException.class, () -> PriceTable.read(file(GOOD.replace("rangedGet", "rangeGet"))));
        assertTrue(typo.getMessage().contains("requests.rangeGet: unknown key"), typo.getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> PriceTable.read(tmp.resolve("nope.yaml")));
        assertTrue(missing.getMessage().contains("nope.yaml"), missing.getMessage());
        ConfigException noCurrency = assertThrows(ConfigException.class, () -> PriceTable.read(file(GOOD.replace("currency: USD\n", ""))));
        assertTrue(noCurrency.getMessage().contains("currency: is required"), noCurrency.getMessage());
    }
}
