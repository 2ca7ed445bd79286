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
                "{\"formatVersion\":3,\"volumeId\":\"" + id + "\",\"role\":\"REPLICA\",\"epoch\":0,\"sourceGeneration\":0,"
                        + "\"targetGeneration\":0,\"updatedMillis\":0}"), "b:vm1/replication/state"));
        assertTrue(v.getMessage().contains("b:vm1/replication/state") && v.getMessage().contains("version 3"), v.getMessage());
        ScoFormatException f = assertThrows(ScoFormatException.class, () -> ReplicationState.decode(text(
                "{\"formatVersion\":1,\"volumeId\":\"" + id + "\",\"role\":\"REPLICA\",\"epoch\":0,\"sourceGeneration\":0,"
                        + "\"targetGeneration\":0,\"updatedMillis\":0,\"owner\":\"x\"}"), "s"));
        assertTrue(f.getMessage().contains("owner"), f.getMessage());
        assertThrows(ScoFormatException.class, () -> VolumeIdentity.decode(text(
                "{\"formatVersion\":1,\"volumeId\":\"not-a-uuid\",\"createdMillis\":0}"), "i"));
        assertThrows(ScoFormatException.class, () -> VolumeIdentity.decode(text("{"), "i"));
        // version 1 carries a UUID only; version 2 also a volume manifest's volumeId
        String manifestId = "0123456789abcdef0123456789abcdef";
        ScoFormatException old = assertThrows(ScoFormatException.class, () -> VolumeIdentity.decode(text(
                "{\"formatVersion\":1,\"volumeId\":\"" + manifestId + "\",\"createdMillis\":0}"), "i"));
        assertTrue(old.getMessage().contains("format version 1"), old.getMessage());
        assertEquals(manifestId, VolumeIdentity.decode(text(
                "{\"formatVersion\":2,\"volumeId\":\"" + manifestId + "\",\"createdMillis\":0}"), "i").volumeId());
        assertEquals(id, VolumeIdentity.decode(text(
                "{\"formatVersion\":1,\"volumeId\":\"" + id + "\",\"createdMillis\":0}"), "i").volumeId(),
                "version 1 objects stay readable");
        assertEquals(manifestId, VolumeIdentity.of(manifestId, 0).volumeId());
        assertEquals(ReplicationState.Role.REPLICA, ReplicationState.decode(text(
                "{\"formatVersion\":1,\"volumeId\":\"" + id + "\",\"role\":\"REPLICA\",\"epoch\":0,\"sourceGeneration\":0,"
                        + "\"targetGeneration\":0,\"updatedMillis\":0}"), "s").role());
    }
}
