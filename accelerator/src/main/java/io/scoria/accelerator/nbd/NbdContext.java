package io.scoria.accelerator.nbd;

import io.netty.handler.ssl.SslContext;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.frontend.Attachments;
import io.scoria.accelerator.frontend.MemoryBudget;
import io.scoria.accelerator.frontend.QosGates;
import io.scoria.accelerator.metrics.NbdMetrics;
import io.scoria.accelerator.metrics.VolumeMetrics;

import java.util.concurrent.Executor;

/**
 * What every connection of one {@link NbdServer} shares: settings, volumes, TLS, the I/O workers,
 * metrics (the frontend's and the per-volume ones), the node's budget of request data, its
 * connection counts, the volumes' QoS gates and their attachments to hosts.
 */
record NbdContext(NbdServerConfig config, VolumeService volumes, SslContext sslContext, Executor workers,
                  NbdMetrics metrics, VolumeMetrics volumeMetrics, MemoryBudget memory,
                  ConnectionCounts connections, QosGates qos, Attachments attachments) {
}
