package io.scoria.backend.transform;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One namespace's entry in a key ring, stored as JSON (sco-store/FORMATS.md, "Key ring"). The
 * data key is only ever stored wrapped by the key-encryption key named by {@code kekId}.
 *
 * @param format     1
 * @param namespace  the volume's namespace
 * @param policy     the transform policy, for example {@code lz4+aes-256-gcm}
 * @param keyId      data key id, 16 hex digits (null when not encrypted)
 * @param kekId      id of the key-encryption key that wrapped the data key (null when not encrypted)
 * @param wrappedKey base64 of nonce || AES-256-GCM(data key) (null when not encrypted)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record KeyRecord(int format, String namespace, String policy, String keyId, String kekId, String wrappedKey) {
    static final int FORMAT = 1;
}
