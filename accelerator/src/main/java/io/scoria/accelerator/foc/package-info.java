/**
 * The fail-over cache (FOC): a copy, on another node, of every write not yet on the backend.
 *
 * <p>Contracts live here ({@link io.scoria.accelerator.foc.FailoverCache},
 * {@link io.scoria.accelerator.foc.FocClientConfig}, states, modes, exceptions); the wire protocol
 * is in {@code .protocol}, the server ({@code FocServer}) in {@code .server}, the client
 * ({@code FocClient}) and the per-mode caches ({@code FailoverCaches}) in {@code .client}.
 *
 * <p>Wiring, for the volume engine:
 * <ul>
 * <li>open: {@code FailoverCaches.create(mode, FocClientConfig.of(hostPort, volumeId, clusterSize,
 * OwnerEpochs.CLAIM).withSecret(FocSecret.readFile(secretFile)))}; a new owner claims the next owner
 * epoch (this fences the old owner) and calls {@code replay(consumer)} before its first write,
 * applying entries in the order given; its SCO tags start at {@code ScoTags.firstOfOpen(now)};</li>
 * <li>write hook (lba, cluster location, cluster bytes): {@code seq = add(lba, scoTag, offset, version, bytes)}
 * per cluster, then {@code awaitAsync(lastSeq, executor)} before acknowledging the write;</li>
 * <li>FLUSH / FUA: {@code flush()};</li>
 * <li>a sealed SCO (and the TLog naming it) is on the backend: {@code removeUpTo(tag before that SCO's tag)}.
 * SCO tags of a volume increase and never go back (see {@link io.scoria.accelerator.foc.FailoverCache});
 * no entry of a removed tag may be added afterwards;</li>
 * <li>{@code state()} / {@code addStateListener} feed the volume's DEGRADED flag (API, metrics);
 * {@code FocFencedException} means the volume must stop serving writes.</li>
 * </ul>
 * The CLI's {@code scoria foc-server --listen HOST:PORT --dir DIR [--secret-file FILE]} is
 * {@code FocServer.run(listen, Path.of(dir), secret)}; without a secret it only listens on loopback.
 */
package io.scoria.accelerator.foc;
