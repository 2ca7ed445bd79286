package io.scoria.backend.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizesTest {
    @Test
    void sizesTakeHumanUnits() {
        assertEquals(20L << 30, Sizes.parse("size", "20GiB"));
        assertEquals(4096, Sizes.parse("size", "4k"));
        assertEquals(512, Sizes.parse("size", "512"));
        assertEquals(1L << 40, Sizes.parse("size", "1 TiB"));
        assertEquals("20GiB", Sizes.format(20L << 30));
        ConfigException e = assertThrows(ConfigException.class, () -> Sizes.parse("--size", "twenty"));
        assertTrue(e.getMessage().startsWith("--size: not a size: 'twenty'"), e.getMessage());
        assertEquals("--size", e.key());
        assertThrows(ConfigException.class, () -> Sizes.parse("--size", "99999999999TiB"));
    }

    @Test
    void durationsTakeMillisecondsSecondsAndMinutes() {
        assertEquals(Duration.ofMillis(500), Durations.parse("t", "500ms"));
        assertEquals(Duration.ofSeconds(5), Durations.parse("t", "5s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("t", "2m"));
        assertEquals("t: must be positive: 0s", assertThrows(ConfigException.class, () -> Durations.parse("t", "0s"))
                .getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> Durations.parse("t", "soon")).getMessage()
                .startsWith("t: expected a duration"));
    }
}
