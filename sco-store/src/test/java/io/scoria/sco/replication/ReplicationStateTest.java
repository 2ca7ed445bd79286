package io.scoria.sco.replication;

import io.scoria.sco.ScoFormatException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicationStateTest {
    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void stateRoundTripsAndPromoteRaisesTheEpoch() {
        VolumeIdentity id = VolumeIdentity.random(5);
        ReplicationState s = ReplicationState.newReplica(id.volumeId(), 10).withShipped(7, 8, 11);
        ReplicationState back = ReplicationState.decode(s.encode(), "x");
        assertEquals(s, back);
        ReplicationState promoted = back.withRole(ReplicationState.Role.PRIMARY, 12);
        assertEquals(1, promoted.epoch());
        assertEquals(ReplicationState.Role.PRIMARY, promoted.role());
        assertEquals(id, VolumeIdentity.decode(id.encode(), "id"));
    }

    @Test
    void unknownVersionsFieldsAndIdsAreRefusedNamingTheObject() {
        String id = VolumeIdentity.random(1).volumeId();
        ScoFormatException v = assertThrows(ScoFormatException.class, () -> ReplicationState.decode(text(
                "{\"formatVersion\":2,\"volumeId\":\"" + id + "\",\"role\":\"REPLICA\",\"epoch\":0,\"sourceGeneration\":0,"
                        + "\"targetGeneration\":0,\"updatedMillis\":0}"), "b:vm1/replication/state"));
        assertTrue(v.getMessage().contains("b:vm1/replication/state") && v.getMessage().contains("version 2"), v.getMessage());
        ScoFormatException f = assertThrows(ScoFormatException.class, () -> ReplicationState.decode(text(
                "{\"formatVersion\":1,\"volumeId\":\"" + id + "\",\"role\":\"REPLICA\",\"epoch\":0,\"sourceGeneration\":0,"
                        + "\"targetGeneration\":0,\"updatedMillis\":0,\"owner\":\"x\"}"), "s"));
        assertTrue(f.getMessage().contains("owner"), f.getMessage());
        assertThrows(ScoFormatException.class, () -> VolumeIdentity.decode(text(
                "{\"formatVersion\":1,\"volumeId\":\"not-a-uuid\",\"createdMillis\":0}"), "i"));
        assertThrows(ScoFormatException.class, () -> VolumeIdentity.decode(text("{"), "i"));
    }
}
