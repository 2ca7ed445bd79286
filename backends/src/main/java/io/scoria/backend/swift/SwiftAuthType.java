package io.scoria.backend.swift;

/** How a {@link SwiftObjectStore} obtains its token and storage URL. */
public enum SwiftAuthType {
    /**
     * TempAuth / Swauth v1: {@code GET <authUrl>} with {@code X-Auth-User} and
     * {@code X-Auth-Key}; the reply carries {@code X-Storage-Url} and {@code X-Auth-Token}.
     */
    TEMPAUTH,
    /**
     * Keystone identity v3 password auth: {@code POST <authUrl>/auth/tokens}; the token is the
     * {@code X-Subject-Token} header and the storage URL is the {@code object-store} endpoint
     * of the returned catalog.
     */
    KEYSTONE
}
