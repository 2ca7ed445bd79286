package io.scoria.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LogTextTest {
    @Test
    void controlCharactersQuotesAndBackslashesAreEscaped() {
        assertEquals("\"vm1\"", LogText.quote("vm1"));
        assertEquals("\"a\\nINFO forged\\r\\t\\u001b[31m\\\"q\\\" \\\\\"", LogText.quote("a\nINFO forged\r\t\u001b[31m\"q\" \\"));
        assertEquals("null", LogText.quote(null));
    }
}
