package io.scoria.benchmarks.ec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns the JSON result of {@link ErasureCodingBenchmark} ({@code -rf json -rff FILE}) into the
 * markdown table of {@code benchmarks/README.md}: GB/s of data (10^9 bytes) per core, and the
 * ratios of the vector codec against the scalar one and Backblaze, from the same run.
 * Usage: {@code java -cp benchmarks/target/benchmarks.jar io.scoria.benchmarks.ec.EcTable FILE}.
 */
public final class EcTable {
    private EcTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: EcTable <jmh-result.json>");
        }
        JsonNode root = new ObjectMapper().readTree(new File(args[0]));
        Map<String, double[]> rows = new LinkedHashMap<>();
        Map<String, double[]> best = new LinkedHashMap<>();
        Map<String, Double> errors = new LinkedHashMap<>();
        for (JsonNode run : root) {
            String bench = run.get("benchmark").asText();
            if (!bench.startsWith(ErasureCodingBenchmark.class.getName())) {
                continue;
            }
            String op = bench.substring(bench.lastIndexOf('.') + 1);
            JsonNode params = run.get("params");
            String policy = params.get("policy").asText();
            String impl = params.get("impl").asText();
            int blockSize = params.get("blockSize").asInt();
            int data = Integer.parseInt(policy.split("\\+")[0]);
            double opsPerSecond = run.get("primaryMetric").get("score").asDouble();
            double error = run.get("primaryMetric").get("scoreError").asDouble();
            double gbs = opsPerSecond * data * blockSize / 1e9;
            String key = op + " RS(" + policy + ")";
            double[] row = rows.computeIfAbsent(key, k -> new double[3]);
            int column = switch (impl) {
                case "vector" -> 0;
                case "scalar" -> 1;
                case "backblaze" -> 2;
                default -> throw new IllegalStateException("unknown impl " + impl);
            };
            row[column] = gbs;
            double bestOps = 0;
            for (JsonNode fork : run.get("primaryMetric").get("rawData")) {
                for (JsonNode iteration : fork) {
                    bestOps = Math.max(bestOps, iteration.asDouble());
                }
            }
            best.computeIfAbsent(key, k -> new double[3])[column] = bestOps * data * blockSize / 1e9;
            errors.put(key + impl, opsPerSecond == 0 ? 0 : 100 * error / opsPerSecond);
        }
        System.out.println("Mean of the measured iterations (± the 99.9% confidence half-width JMH reports):");
        System.out.println();
        System.out.println("| operation | vector GB/s | scalar GB/s | Backblaze GB/s | vector / scalar | vector / Backblaze |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (Map.Entry<String, double[]> e : rows.entrySet()) {
            double[] r = e.getValue();
            System.out.printf("| %s | %.2f (±%.0f%%) | %.2f (±%.0f%%) | %.2f (±%.0f%%) | %.1fx | %.1fx |%n", e.getKey(),
                    r[0], errors.getOrDefault(e.getKey() + "vector", 0.0),
                    r[1], errors.getOrDefault(e.getKey() + "scalar", 0.0),
                    r[2], errors.getOrDefault(e.getKey() + "backblaze", 0.0),
                    r[1] == 0 ? 0 : r[0] / r[1], r[2] == 0 ? 0 : r[0] / r[2]);
        }
            System.out.println();
        System.out.println("Best single iteration (least disturbed by other processes):");
        System.out.println();
        System.out.println("| operation | vector GB/s | scalar GB/s | Backblaze GB/s | vector / Backblaze |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (Map.Entry<String, double[]> e : best.entrySet()) {
            double[] r = e.getValue();
            System.out.printf("| %s | %.2f | %.2f | %.2f | %.1fx |%n", e.getKey(), r[0], r[1], r[2],
                    r[2] == 0 ? 0 : r[0] / r[2]);
        }
    }
}
