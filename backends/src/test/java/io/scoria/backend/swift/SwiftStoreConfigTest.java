package io.scoria.backend.swift;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SwiftStoreConfigTest {
    private static final URI AUTH = URI.create("http://127.0.0.1:8080/auth/v1.0");

    private static void refused(String argument, Runnable make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::run);
        assertTrue(e.getMessage().contains(argument), e.getMessage());
    }

    @Test
    void refusesBadValuesNamingTheArgument() {
        refused("authUrl", () -> SwiftStoreConfig.tempAuth(null, "a:b", "k"));
        refused("authUrl", () -> SwiftStoreConfig.tempAuth(URI.create("ftp://h/auth"), "a:b", "k"));
        refused("authUrl", () -> SwiftStoreConfig.tempAuth(URI.create("/auth/v1.0"), "a:b", "k"));
        refused("user", () -> SwiftStoreConfig.tempAuth(AUTH, " ", "k"));
        refused("password", () -> SwiftStoreConfig.tempAuth(AUTH, "a:b", ""));
        refused("project", () -> SwiftStoreConfig.keystone(AUTH, "u", "p", null, "Default", null));
        refused("domain", () -> SwiftStoreConfig.keystone(AUTH, "u", "p", "proj", "", null));
        refused("region", () -> SwiftStoreConfig.keystone(AUTH, "u", "p", "proj", "Default", " "));
        refused("project", () -> new SwiftStoreConfig(AUTH, SwiftAuthType.TEMPAUTH, "a:b", "k", "proj", null, null,
                Duration.ofSeconds(1), 1, Duration.ofMillis(1)));
        refused("authType", () -> new SwiftStoreConfig(AUTH, null, "a:b", "k", null, null, null,
                Duration.ofSeconds(1), 1, Duration.ofMillis(1)));
        refused("retries", () -> SwiftStoreConfig.tempAuth(AUTH, "a:b", "k").withRetries(-1, Duration.ofMillis(1)));
        refused("retries", () -> SwiftStoreConfig.tempAuth(AUTH, "a:b", "k").withRetries(21, Duration.ofMillis(1)));
        refused("retryBackoff", () -> SwiftStoreConfig.tempAuth(AUTH, "a:b", "k").withRetries(1, Duration.ZERO));
        refused("requestTimeout", () -> SwiftStoreConfig.tempAuth(AUTH, "a:b", "k").withRequestTimeout(Duration.ZERO));
        refused("config", () -> new SwiftObjectStore(null));
    }

    @Test
    void defaultsAndMaskedPassword() {
        SwiftStoreConfig c = SwiftStoreConfig.keystone(URI.create("https://keystone:5000/v3"), "u", "hunter2", "proj",
                "Default", "RegionOne");
        assertEquals(SwiftStoreConfig.DEFAULT_RETRIES, c.retries());
        assertEquals(SwiftStoreConfig.DEFAULT_REQUEST_TIMEOUT, c.requestTimeout());
        assertFalse(c.toString().contains("hunter2"), c.toString());
        assertTrue(c.toString().contains("password=***"));
    }
}
