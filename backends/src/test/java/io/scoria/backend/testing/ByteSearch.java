package io.scoria.backend.testing;

/** Finds a byte sequence in stored bytes: tests that check what a backend object must not hold (plaintext). */
public final class ByteSearch {
    private ByteSearch() {
    }

    /** Whether {@code needle} occurs anywhere in {@code haystack}. */
    public static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
