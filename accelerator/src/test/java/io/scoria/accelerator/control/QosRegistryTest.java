package io.scoria.accelerator.control;

import io.scoria.accelerator.frontend.QosGate;
import io.scoria.accelerator.frontend.QosLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QosRegistryTest {
    @TempDir
    Path dir;

    @Test
    void capsSurviveARestartAndReachGatesAlreadyHandedOut() {
        Path file = dir.resolve("qos.json");
        QosRegistry r = QosRegistry.open(file);
        QosGate attached = r.gate("vm1");
        QosLimits caps = new QosLimits(5000, 0, 0, 100L << 20, 0, 0, 2.0);
        r.set("vm1", caps);
        assertEquals(caps, attached.limits(), "a connection's gate follows the change");
        assertSame(attached, r.gate("vm1"));
        QosRegistry again = QosRegistry.open(file);
        assertEquals(caps, again.limits("vm1"));
        assertEquals(QosLimits.NONE, again.limits("vm2"));
    }

    @Test
    void clearingAndForgettingRemoveTheCaps() {
        Path file = dir.resolve("qos.json");
        QosRegistry r = QosRegistry.open(file);
        r.set("vm1", new QosLimits(10, 0, 0, 0, 0, 0, 1));
        r.set("vm2", new QosLimits(20, 0, 0, 0, 0, 0, 1));
        r.set("vm1", QosLimits.NONE);
        r.forget("vm2");
        QosRegistry again = QosRegistry.open(file);
        assertEquals(QosLimits.NONE, again.limits("vm1"));
        assertEquals(QosLimits.NONE, again.limits("vm2"));
        assertFalse(Files.exists(dir.resolve("qos.json.tmp")));
    }

    @Test
    void aDamagedFileIsAClearErrorNamingIt() throws Exception {
        Path file = dir.resolve("qos.json");
        Files.writeString(file, "{\"version\": 1, \"volumes\": {\"vm1\": {\"iops\": -5, \"readIops\": 0, \"writeIops\": 0,"
                + " \"bandwidth\": 0, \"readBandwidth\": 0, \"writeBandwidth\": 0, \"burstSeconds\": 1}}}");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> QosRegistry.open(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("iops"), e.getMessage());
        Files.writeString(file, "{\"version\": 7, \"volumes\": {}}");
        e = assertThrows(IllegalStateException.class, () -> QosRegistry.open(file));
        assertTrue(e.getMessage().contains("version 7"), e.getMessage());
    }
}
