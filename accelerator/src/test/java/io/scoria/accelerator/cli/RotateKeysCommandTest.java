package io.scoria.accelerator.cli;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.transform.TransformPolicy;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.backend.transform.WrongKeyException;
import io.scoria.distributor.config.BackendConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scoria backend rotate-keys} on an fs backend: re-wraps the volumes' data keys, says how
 * many, does nothing the second time, and afterwards the volumes read with the new key-encryption
 * key alone; a previous key that is not the one that wrapped a volume's key is an error naming the
 * volume, never a key; a config without a key to rotate to is an error naming the setting.
 */
class RotateKeysCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    private Run scoria(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ScoriaMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private String kek(String name) throws Exception {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        String text = Base64.getEncoder().encodeToString(k);
        Files.writeString(dir.resolve(name), text + "\n");
        return text;
    }

    private Path config(String name, String transform) throws Exception {
        return Files.writeString(dir.resolve(name), "backend:\n  type: fs\n  fs: {root: store}\n  transform: " + transform
                + "\n");
    }

    private static ObjectStore open(Path cfg) {
        return ConfigReader.read(cfg).section("backend", BackendConfig.class).open();
    }

    private static byte[] data(String volume) {
        return ("blocks of " + volume + " ").repeat(3000).getBytes(StandardCharsets.US_ASCII);
    }

    private static void write(Path cfg, String... volumes) {
        try (ObjectStore s = open(cfg)) {
            for (String v : volumes) {
                ((TransformingObjectStore) s).createNamespace(v, TransformPolicy.parse("lz4+aes-256-gcm"));
                s.put(v, "sco/1", ByteBuffer.wrap(data(v)));
            }
        }
    }

    private static void assertReads(Path cfg, String... volumes) {
        try (ObjectStore s = open(cfg)) {
            for (String v : volumes) {
                assertEquals(ByteBuffer.wrap(data(v)), s.get(v, "sco/1"), v);
            }
        }
    }

    @Test
    void rotatesOnceThenTheOldKeyCanGo() throws Exception {
        kek("old.kek");
        kek("new.kek");
        write(config("before.yaml", "{encryption: aes-256-gcm, keyEncryptionKey: {file: old.kek}}"), "vm1", "vm2");
        Path rotating = config("rotating.yaml", "{encryption: aes-256-gcm, keyEncryptionKey: {file: new.kek}, "
                + "previousKeyEncryptionKeys: [{file: old.kek}]}");

        Run first = scoria("backend", "rotate-keys", "--config", rotating.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("re-wrapped 2 data keys"), first.out());
        assertTrue(first.out().contains("can be removed from the config"), first.out());
        Run again = scoria("backend", "rotate-keys", "--config", rotating.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("re-wrapped 0 data keys") && again.out().contains("2 already under it"), again.out());

        Path after = config("after.yaml", "{encryption: aes-256-gcm, keyEncryptionKey: {file: new.kek}}");
        assertReads(after, "vm1", "vm2");
        try (ObjectStore oldOnly = open(config("old-only.yaml", "{encryption: aes-256-gcm, keyEncryptionKey: {file: old.kek}}"))) {
            assertThrows(WrongKeyException.class, () -> oldOnly.get("vm1", "sco/1"));
        }
    }

    @Test
    void aWrongPreviousKeyNamesTheVolumeAndChangesNothing() throws Exception {
        String old = kek("old.kek");
        kek("new.kek");
        String wrong = kek("wrong.kek");
        Path before = config("before.yaml", "{encryption: aes-256-gcm, keyEncryptionKey: {file: old.kek}}");
        write(before, "vm1");
        byte[] record = Files.readAllBytes(onlyRecord());

        Run r = scoria("backend", "rotate-keys", "--config", config("rotating.yaml", "{encryption: aes-256-gcm, "
                + "keyEncryptionKey: {file: new.kek}, previousKeyEncryptionKeys: [{file: wrong.kek}]}").toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("volume 'vm1'"), r.err());
        assertTrue(r.out().contains("not re-wrapped: volume 'vm1'"), r.out());
        for (String secret : new String[] {old, wrong}) {
            assertFalse(r.out().contains(secret) || r.err().contains(secret), "no key in the output");
        }
        assertEquals(ByteBuffer.wrap(record), ByteBuffer.wrap(Files.readAllBytes(onlyRecord())), "the record is left as it was");
        assertReads(before, "vm1");
    }

    private Path onlyRecord() throws Exception {
        try (var files = Files.walk(dir.resolve("store"))) {
            var records = files.filter(Files::isRegularFile).filter(p -> p.toString().contains("scoria-keyring")).toList();
            assertEquals(1, records.size(), records.toString());
            return records.get(0);
        }
    }

    @Test
    void withoutAKeyToRotateToItSaysWhichSettingIsMissing() throws Exception {
        kek("old.kek");
        Run noKek = scoria("backend", "rotate-keys", "--config", config("lz4.yaml",
                "{compression: lz4, previousKeyEncryptionKeys: [{file: old.kek}]}").toString());
        assertEquals(1, noKek.code());
        assertTrue(noKek.err().contains("backend.transform.keyEncryptionKey is not set"), noKek.err());

        Path plain = Files.writeString(dir.resolve("plain.yaml"), "backend: {type: fs, fs: {root: store}}\n");
        Run noTransform = scoria("backend", "rotate-keys", "--config", plain.toString());
        assertEquals(1, noTransform.code());
        assertTrue(noTransform.err().contains("no backend.transform section"), noTransform.err());
    }
}
