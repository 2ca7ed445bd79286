package io.scoria.accelerator.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EscapedMessageConverterTest {
    private static String convert(String pattern, Object... args) {
        LoggerContext ctx = new LoggerContext();
        LoggingEvent e = new LoggingEvent("x", ctx.getLogger("t"), Level.WARN, pattern, null, args);
        return new EscapedMessageConverter().convert(e);
    }

    @Test
    void aNameWithLineBreaksAndEscapesStaysOnOneLine() {
        assertEquals("NBD client refused export evil\\n2026-12-07T00:00:00Z INFO forged\\r\\u001b[2J",
                convert("NBD client refused export {}", "evil\n2026-12-07T00:00:00Z INFO forged\r\u001b[2J"));
        assertEquals("plain message", convert("plain {}", "message"));
    }
}
