/**
 * Fail-over cache entries of encrypted volumes: the owner seals each cluster with AES-256-GCM under a
 * key derived from the volume's data key ({@link io.scoria.accelerator.foc.sealed.FocEntrySeal}) before
 * its FOC client sends it, and opens each entry of a replay
 * ({@link io.scoria.accelerator.foc.sealed.SealedFailoverCache}). The FOC server and the wire carry
 * sealed payloads only (protocol version 3, {@link io.scoria.accelerator.foc.FocEntryFormat#SEALED}).
 */
package io.scoria.accelerator.foc.sealed;
