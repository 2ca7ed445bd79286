package io.scoria.accelerator.foc.wiring;

import io.scoria.backend.transform.FlashKey;

import java.util.Optional;

/**
 * Where {@link FocVolumeService} gets the keys that seal an encrypted volume's FOC entries: the
 * volume's local flash keys ({@link FlashKey}, derived from its data key in the backend's key ring),
 * or empty for a volume that is not encrypted (its entries stay clear). Must be thread-safe.
 */
@FunctionalInterface
public interface FocEntryKeys {
    /** No volume is encrypted (an engine without a {@code backend.transform} section). */
    FocEntryKeys NONE = namespace -> Optional.empty();

    /**
     * The keys of the volume in {@code namespace}, or empty when it is not encrypted.
     *
     * @throws io.scoria.backend.transform.WrongKeyException naming the volume when its data key cannot be unwrapped
     */
    Optional<FlashKey> of(String namespace);
}
