package io.scoria.distributor.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.scoria.backend.ObjectStore;
import io.scoria.distributor.store.Distributor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @TempDir
    Path tmp;

    private static BackendConfig parse(String json) throws Exception {
        return JSON.readValue(json.replace('\'', '"'), BackendConfig.class);
    }

    @Test
    void fsBackendResolvesRelativeRootAgainstBase() throws Exception {
        BackendConfig c = parse("{'type':'fs','fs':{'root':'backend'}}");
        try (ObjectStore store = c.open(tmp)) {
            store.createNamespace("ns1");
            assertTrue(Files.isDirectory(tmp.resolve("backend/ns1")));
        }
        assertEquals("fs backend", c.describe());
    }

    @Test
    void distributorOverFsStoresRoundTrips() throws Exception {
        BackendConfig c = parse("{'type':'distributor','distributor':{'policy':'2+1','stores':["
                + "{'name':'a','type':'fs','fs':{'root':'a'}},{'name':'b','fs':{'root':'b'}},"
                + "{'name':'c','domain':'n3','fs':{'root':'c'}}]}}");
        try (ObjectStore store = c.open(tmp)) {
            assertInstanceOf(Distributor.class, store);
            store.createNamespace("ns1");
            store.put("ns1", "k", ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertEquals(3, store.get("ns1", "k").remaining());
        }
    }

    @Test
    void badValuesNameTheKey() {
        Exception e = assertThrows(Exception.class, () -> parse("{'type':'nfs'}"));
        assertTrue(e.getMessage().contains("backend.type"), e.getMessage());
        e = assertThrows(Exception.class, () -> parse("{'type':'s3'}"));
        assertTrue(e.getMessage().contains("backend.s3"), e.getMessage());
        e = assertThrows(Exception.class, () -> parse("{'type':'s3','s3':{'endpoint':'http://x:1','accessKey':'a'}}"));
        assertTrue(e.getMessage().contains("backend.s3.secretKey"), e.getMessage());
        e = assertThrows(Exception.class, () -> parse("{'type':'distributor','distributor':{'policy':'4+2','stores':["
                + "{'name':'a','fs':{'root':'a'}}]}}"));
        assertTrue(e.getMessage().contains("needs at least 6 stores"), e.getMessage());
        e = assertThrows(Exception.class, () -> parse("{'type':'swift','swift':{'authUrl':'http://h/auth/v1.0','user':'u'}}"));
        assertTrue(e.getMessage().contains("backend.swift.key"), e.getMessage());
        UnrecognizedPropertyException u = assertThrows(UnrecognizedPropertyException.class,
                () -> parse("{'type':'fs','fs':{'root':'x','rooot':'y'}}"));
        assertEquals("rooot", u.getPropertyName());
    }
}
