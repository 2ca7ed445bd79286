package io.scoria.backend.swift;

import java.io.IOException;
import java.net.http.HttpClient;

/** Obtains a fresh {@link SwiftSession}. Implementations are stateless and thread-safe. */
interface SwiftAuthenticator {

    /**
     * Authenticates once.
     *
     * @throws IOException                                    on a transport failure (the caller may retry)
     * @throws io.scoria.backend.BackendUnavailableException if the server refused the credentials
     *                                                        or answered something unusable
     */
    SwiftSession authenticate(HttpClient client) throws IOException, InterruptedException;

    /** Where this authenticator sends its request, for messages. */
    String endpoint();

    static SwiftAuthenticator of(SwiftStoreConfig config, String storeName) {
        return switch (config.authType()) {
            case TEMPAUTH -> new TempAuthAuthenticator(config, storeName);
            case KEYSTONE -> new KeystoneV3Authenticator(config, storeName);
        };
    }
}
