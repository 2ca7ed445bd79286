package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.backend.metering.RequestCounters;
import io.scoria.backend.metering.RequestKind;
import io.scoria.backend.metering.RequestLedger;

/**
 * Exposes a backend's {@link RequestLedger} as counters read at scrape time:
 * {@code scoria_backend_requests_total{store, namespace, request}} and
 * {@code scoria_backend_request_bytes_total{store, namespace, direction}}, one series per store
 * ({@code s3}, {@code distributor}, {@code distributor/<name>}), namespace (a volume's, or
 * {@code -} for requests that name none) and kind. Series appear with the first request of a
 * (store, namespace) pair. Thread-safe.
 */
public final class BackendRequestMetrics {
    private BackendRequestMetrics() {
    }

    public static void bind(MeterRegistry registry, RequestLedger ledger) {
        ledger.onNewCounters((store, namespace, counters) -> register(registry, store, namespace, counters));
    }

    private static void register(MeterRegistry registry, String store, String namespace, RequestCounters c) {
        for (RequestKind kind : RequestKind.values()) {
            FunctionCounter.builder("scoria.backend.requests", c, x -> x.count(kind))
                    .description("requests made to a backend store, by store, namespace and kind (put, get, ranged_get, "
                            + "head, list, delete)")
                    .baseUnit("requests")
                    .tags("store", store, "namespace", namespace, "request", kind.label())
                    .register(registry);
        }
        FunctionCounter.builder("scoria.backend.request.bytes", c, RequestCounters::bytesIn)
                .description("bytes sent to (in) and received from (out) a backend store in request bodies")
                .baseUnit("bytes").tags("store", store, "namespace", namespace, "direction", "in").register(registry);
        FunctionCounter.builder("scoria.backend.request.bytes", c, RequestCounters::bytesOut)
                .description("bytes sent to (in) and received from (out) a backend store in request bodies")
                .baseUnit("bytes").tags("store", store, "namespace", namespace, "direction", "out").register(registry);
    }
}
