package io.scoria.accelerator.control;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.scoria.accelerator.control.VolumeState.*;

class VolumeStateTest {
    @Test
    void theTableAllowsTheLifecycleAndNothingElse() {
        assertTrue(DELETED.allows(CREATING));
        assertTrue(CREATING.allows(AVAILABLE));
        assertTrue(CREATING.allows(DELETING));
        assertTrue(AVAILABLE.allows(ATTACHED));
        assertTrue(ATTACHED.allows(ATTACHED));
        assertTrue(ATTACHED.allows(DETACHING));
        assertTrue(DETACHING.allows(AVAILABLE));
        assertTrue(DETACHING.allows(ATTACHED));
        assertTrue(AVAILABLE.allows(DELETING));
        assertTrue(DELETING.allows(DELETED));
        assertTrue(ERROR.allows(DELETING));

        assertFalse(ATTACHED.allows(DELETING), "an attached volume is detached before it is deleted");
        assertFalse(DELETED.allows(AVAILABLE));
        assertFalse(DELETING.allows(AVAILABLE), "a volume being deleted never becomes available again");
        assertFalse(CREATING.allows(ATTACHED));
        assertFalse(AVAILABLE.allows(AVAILABLE));
        assertFalse(CREATING.allows(CREATING), "two creates of one name: the second is refused");
        for (VolumeState s : values()) {
            assertFalse(DELETED.allows(s) && s != CREATING, "deleted only goes to creating, not " + s);
        }
    }

    @Test
    void wireNamesRoundTripAndUnknownNamesAreNamed() {
        for (VolumeState s : values()) {
            assertEquals(s, VolumeState.parse(s.wireName()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VolumeState.parse("gone"));
        assertTrue(e.getMessage().contains("'gone'"), e.getMessage());
    }

    @Test
    void aRefusedChangeNamesVolumeFromAndToAndChangesNothing(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        VolumeStates states = VolumeStates.open(dir.resolve("states.json"));
        states.set(List.of("a", "b"), ATTACHED);
        states.set(List.of("c"), AVAILABLE);
        LifecycleTransitionException e = assertThrows(LifecycleTransitionException.class,
                () -> states.change(List.of("c", "a"), DELETING, v -> states.recorded(v).orElse(DELETED)));
        assertEquals("a", e.volume());
        assertEquals(ATTACHED, e.from());
        assertEquals(DELETING, e.to());
        assertTrue(e.getMessage().contains("volume a is attached; it cannot become deleting"), e.getMessage());
        assertEquals(AVAILABLE, states.recorded("c").orElseThrow(), "all or none: c did not move either");

        VolumeStates again = VolumeStates.open(dir.resolve("states.json"));
        assertEquals(states.all(), again.all(), "persisted");
        states.set(List.of("c"), DELETED);
        assertTrue(VolumeStates.open(dir.resolve("states.json")).recorded("c").isEmpty(), "deleted is no entry");
    }

    @Test
    void aBadStatesFileIsAnErrorNamingIt(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("states.json");
        Files.writeString(f, "{\"version\":1,\"states\":{\"a\":\"sleeping\"}}");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> VolumeStates.open(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("sleeping"), e.getMessage());
    }
}
