package io.scoria.it.crash;

import io.scoria.backend.testing.ByteSearch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fail-over cache of an encrypted volume through the real programs: {@code scoria foc-server} and
 * {@code scoria serve} on an fs backend with a {@code backend.transform} section. Writes (fewer than one
 * SCO, so only the router's flash and the FOC hold them) leave the FOC server's data directory without a
 * byte of the guest's text for the encrypted volume, while a clear volume's text is there (the control);
 * after {@code kill -9} and the loss of the router's whole data directory, a new router gets the encrypted
 * volume back from the FOC, opening its sealed entries with the data key from the key ring.
 */
class EncryptedFocIT {
    private static final int IMAGE = 512 << 10;

    @TempDir
    Path dir;
    private Rig rig;

    @AfterEach
    void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    /** Whether a FOC server file of the volume {@code name} (its directory is {@code NAME.VOLUMEID}) holds {@code needle}. */
    private boolean focFilesOf(String name, byte[] needle, long[] bytes) throws IOException {
        boolean found = false;
        try (var walk = Files.walk(dir.resolve("foc-server"))) {
            for (Path f : walk.filter(Files::isRegularFile)
                    .filter(f -> f.getParent().getFileName().toString().startsWith(name + ".")).toList()) {
                byte[] b = Files.readAllBytes(f);
                bytes[0] += b.length;
                found |= ByteSearch.contains(b, needle);
            }
        }
        return found;
    }

    @Test
    void theFocServerNeverHoldsAnEncryptedVolumesTextAndTheVolumeComesBackFromIt() throws Exception {
        byte[] kek = new byte[32];
        new SecureRandom().nextBytes(kek);
        Path kekFile = Files.writeString(dir.resolve("scoria.kek"), Base64.getEncoder().encodeToString(kek) + "\n");
        rig = new Rig(dir);
        String backend = "{type: fs, fs: {root: " + dir.resolve("backend") + "}, transform: {encryption: aes-256-gcm, "
                + "keyEncryptionKey: {file: " + kekFile + "}}}";
        rig.startFoc();
        rig.startRouter("data-0", backend, "sync");
        rig.createVolume("secret", "64MiB");
        rig.createVolume("clear", "64MiB", "none");

        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < IMAGE; i++) {
            text.append(String.format("scoria-it foc plaintext line %08d of a guest's log%n", i));
        }
        byte[] image = Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), IMAGE);
        Path file = Files.write(dir.resolve("image.raw"), image);
        for (String volume : new String[] {"secret", "clear"}) {
            run("nbdcopy", file.toString(), "nbd://127.0.0.1:" + rig.nbdPort + "/" + volume);
        }
        byte[] anyLine = "scoria-it foc plaintext line ".getBytes(StandardCharsets.US_ASCII);
        rig.router.kill9();
        long[] clearBytes = {0};
        long[] secretBytes = {0};
        assertTrue(focFilesOf("clear", anyLine, clearBytes), "control: the clear volume's FOC entries hold its text");
        assertFalse(focFilesOf("secret", anyLine, secretBytes), "the FOC server holds the encrypted volume's text");
        assertTrue(secretBytes[0] > IMAGE, "the FOC server holds the encrypted volume's entries: " + secretBytes[0]
                + " bytes");

        Rig.deleteTree(dir.resolve("data-0"));
        rig.startRouter("data-1", backend, "sync");
        Path back = dir.resolve("back.raw");
        run("nbdcopy", "nbd://127.0.0.1:" + rig.nbdPort + "/secret", back.toString());
        assertArrayEquals(image, Arrays.copyOf(Files.readAllBytes(back), IMAGE),
                "a router without local state gets the encrypted volume's writes back from the FOC");
    }
}
