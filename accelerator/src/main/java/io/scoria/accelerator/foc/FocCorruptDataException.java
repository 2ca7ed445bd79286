package io.scoria.accelerator.foc;

/**
 * A FOC file holds bytes that fail their checksum or format check somewhere other than a torn
 * tail (which is truncated on recovery). Its data is never served.
 */
public class FocCorruptDataException extends FocException {
    private static final long serialVersionUID = 1L;

    public FocCorruptDataException(String message) {
        super(message);
    }
}
