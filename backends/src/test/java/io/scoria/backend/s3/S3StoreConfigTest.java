package io.scoria.backend.s3;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class S3StoreConfigTest {
    @Test
    void toStringHidesBothKeys() {
        S3StoreConfig c = S3StoreConfig.of(URI.create("http://127.0.0.1:9000"), "AKIA-ACCESS-42", "s3cr3t-Value-42")
                .withMaxAttempts(2);
        String text = c.toString();
        assertFalse(text.contains("AKIA-ACCESS-42"), text);
        assertFalse(text.contains("s3cr3t-Value-42"), text);
        assertTrue(text.contains("accessKey=***") && text.contains("secretKey=***"), text);
        assertTrue(text.contains("endpoint=http://127.0.0.1:9000") && text.contains("maxAttempts=2"), text);
        assertTrue(S3StoreConfig.of(null, null, null).toString().contains("secretKey=null"));
    }

    @Test
    void errorsDoNotCarryTheKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.of(URI.create("/no-host"), "AKIA-ACCESS-42", "s3cr3t-Value-42"));
        assertFalse(e.getMessage().contains("AKIA-ACCESS-42") || e.getMessage().contains("s3cr3t-Value-42"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.of(URI.create("http://h:1"), "AKIA-ACCESS-42", null));
        assertFalse(e.getMessage().contains("AKIA-ACCESS-42"), e.getMessage());
    }
}
