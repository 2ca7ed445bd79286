package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.accelerator.VolumeCounters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The node's per-volume meters with bounded cardinality: the first {@code limit} volumes in use
 * get series labelled with their name; every further volume shares the series labelled
 * {@value #OTHER}, so a node with thousands of clones still exports a fixed number of series. A
 * volume gets its label when a frontend first attaches it ({@link #meters}) or its fail-over cache
 * link opens ({@link #focOpened}), and keeps it (so its counters survive clients that connect per
 * command) until it is deleted ({@link #forget}): then a named label is removed from the registry
 * and free for the next volume.
 *
 * <p>Per label: the I/O meters of {@link VolumeMeters}, and, read at scrape time over the label's
 * volumes, cluster cache hits and misses and their ratio, SCO backlog bytes (from the engine's
 * {@link VolumeCounters}, looked up by a function the wiring gives, so this package imports no
 * engine package) and the number of volumes whose fail-over cache is degraded.
 *
 * <p>Thread-safe: labelling synchronises on this object (once per attach, never per request); gauges read a snapshot of a label's volumes.
 */
public final class VolumeMetrics {
    /** The label shared by the volumes past the limit. */
    public static final String OTHER = "other";
    /** Default number of volumes that get their own label. */
    public static final int DEFAULT_LIMIT = 100;

    private final MeterRegistry registry;
    private final int limit;
    private final Function<String, Optional<VolumeCounters>> counters;
    private final Map<String, Label> labels = new HashMap<>();
    private final Map<String, Label> volumeLabel = new HashMap<>();
    private final Map<String, BooleanSupplier> focDegraded = new ConcurrentHashMap<>();
    /** Per volume: how many times its requests were held back by its QoS caps (set by the control plane). */
    private volatile java.util.function.ToLongFunction<String> qosDelays = v -> 0;
    private int named;

    /**
     * @param limit    volumes that get their own label (0: every volume is {@code other})
     * @param counters the engine's counters of an open volume, empty if it is not open
     */
    public VolumeMetrics(MeterRegistry registry, int limit, Function<String, Optional<VolumeCounters>> counters) {
        this.registry = Objects.requireNonNull(registry, "registry");
        if (limit < 0) {
            throw new IllegalArgumentException("volume label limit must be 0 or more: " + limit);
        }
        this.limit = limit;
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    /**
     * The meters a frontend records {@code volume}'s requests into; the first call gives the
     * volume its label, which it keeps until {@link #forget}. Frontends call it once per attach.
     */
    public synchronized VolumeMeters meters(String volume) {
        return labelFor(volume).meters;
    }

    /**
     * Where the {@code scoria_volume_qos_delayed_total} counters read how many times a volume's
     * requests waited for its QoS caps (the control plane's gates, shared by NBD and iSCSI).
     */
    public void qosDelays(java.util.function.ToLongFunction<String> delays) {
        this.qosDelays = java.util.Objects.requireNonNull(delays, "delays");
    }

    /** The fail-over cache of {@code volume} is open; {@code degraded} says whether it is not OK. */
    public synchronized void focOpened(String volume, BooleanSupplier degraded) {
        labelFor(volume);
        focDegraded.put(volume, Objects.requireNonNull(degraded, "degraded"));
    }

    /** The fail-over cache link of {@code volume} is closed. */
    public void focClosed(String volume) {
        focDegraded.remove(volume);
    }

    /** {@code volume} was deleted: its label (if its own) is removed from the registry and free for another volume. */
    public synchronized void forget(String volume) {
        focDegraded.remove(volume);
        Label l = volumeLabel.remove(volume);
        if (l == null) {
            return;
        }
        l.volumes.remove(volume);
        if (!l.name.equals(OTHER)) {
            labels.remove(l.name);
            named--;
            l.meters().forEach(registry::remove);
        }
    }

    /** The label {@code volume}'s series carry, if it has one. */
    public synchronized Optional<String> labelOf(String volume) {
        return Optional.ofNullable(volumeLabel.get(volume)).map(l -> l.name);
    }

    /**
     * What {@code volume}'s meters and engine counters say now; figures of a volume no frontend
     * has attached yet are 0 (label null). Reads counters only: neither labels nor registers anything.
     */
    public VolumeIoStats stats(String volume) {
        Label l;
        synchronized (this) {
            l = volumeLabel.get(volume);
        }
        Map<String, VolumeIoStats.Op> ops = new LinkedHashMap<>();
        if (l == null) {
            for (String op : NbdMetrics.OPS) {
                ops.put(op, VolumeIoStats.Op.NONE);
            }
        } else {
            ops.putAll(l.meters.stats());
        }
        Optional<VolumeCounters> c = counters.apply(volume);
        return new VolumeIoStats(volume, l == null ? null : l.name, l != null && l.name.equals(OTHER),
                System.currentTimeMillis(), ops, c.map(VolumeCounters::cacheHits).orElse(0L),
                c.map(VolumeCounters::cacheMisses).orElse(0L), c.map(VolumeCounters::scoBacklogBytes).orElse(0L));
    }

    private Label labelFor(String volume) {
        Label l = volumeLabel.get(volume);
        if (l == null) {
            if (named < limit && !volume.equals(OTHER)) {
                l = new Label(volume);
                labels.put(volume, l);
                named++;
            } else {
                l = labels.computeIfAbsent(OTHER, Label::new);
            }
            volumeLabel.put(volume, l);
            l.volumes.add(volume);
        }
        return l;
    }

    /** One label's meters and the volumes that share it. */
    private final class Label {
        final String name;
        final Set<String> volumes = ConcurrentHashMap.newKeySet();
        final VolumeMeters meters;
        final List<Meter> gauges = new ArrayList<>();

        Label(String name) {
            this.name = name;
            this.meters = new VolumeMeters(registry, name);
            gauges.add(FunctionCounter.builder("scoria.volume.cache.hits", this, l -> l.sum(VolumeCounters::cacheHits))
                    .description("clusters a volume read from the cluster cache").tag("volume", name)
                    .register(registry));
            gauges.add(FunctionCounter.builder("scoria.volume.cache.misses", this, l -> l.sum(VolumeCounters::cacheMisses))
                    .description("clusters a volume looked up in the cluster cache and read from flash or the backend")
                    .tag("volume", name).register(registry));
            gauges.add(Gauge.builder("scoria.volume.cache.hit.ratio", this, Label::hitRatio)
                    .description("cluster cache hits / (hits + misses) of a volume since it was opened")
                    .tag("volume", name).register(registry));
            gauges.add(Gauge.builder("scoria.volume.sco.backlog", this, l -> l.sum(VolumeCounters::scoBacklogBytes))
                    .baseUnit("bytes").description("bytes of a volume's SCOs on local flash not yet on the backend")
                    .tag("volume", name).register(registry));
            gauges.add(FunctionCounter.builder("scoria.volume.qos.delayed", this, Label::qosDelayed)
                    .description("times a block request of a volume (NBD or iSCSI) was held back by its QoS caps")
                    .tag("volume", name).register(registry));
            gauges.add(Gauge.builder("scoria.volume.foc.degraded", this, Label::degraded)
                    .description("volumes under this label whose writes are not replicated to their fail-over cache"
                            + " (0 or 1 for a named volume)")
                    .tag("volume", name).register(registry));
        }

        long sum(java.util.function.ToLongFunction<VolumeCounters> f) {
            long total = 0;
            for (String v : volumes) {
                Optional<VolumeCounters> c = counters.apply(v);
                if (c.isPresent()) {
                    total += f.applyAsLong(c.get());
                }
            }
            return total;
        }

        double hitRatio() {
            long hits = sum(VolumeCounters::cacheHits);
            long total = hits + sum(VolumeCounters::cacheMisses);
            return total == 0 ? Double.NaN : (double) hits / total;
        }

        double qosDelayed() {
            long total = 0;
            for (String v : volumes) {
                total += qosDelays.applyAsLong(v);
            }
            return total;
        }

        double degraded() {
            int n = 0;
            for (String v : volumes) {
                BooleanSupplier d = focDegraded.get(v);
                if (d != null && d.getAsBoolean()) {
                    n++;
                }
            }
            return n;
        }

        List<Meter> meters() {
            List<Meter> all = meters.meters();
            all.addAll(gauges);
            return all;
        }
    }
}
