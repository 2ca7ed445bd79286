package io.scoria.accelerator.iscsi;

import io.netty.buffer.Unpooled;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import io.scoria.backend.config.Secret;

/**
 * A small blocking iSCSI initiator for tests: login (with CHAP and mutual CHAP), SCSI commands one at
 * a time with immediate data, unsolicited Data-Out, R2T and Data-In, NOP-Out, Text, Logout, and raw
 * PDUs. Not thread-safe.
 */
final class IscsiTestClient implements AutoCloseable {
    static final String INITIATOR = "iqn.2026-12.io.scoria.test:client";

    /** A received PDU: header and data. */
    record Received(byte[] bhs, byte[] data) {
        int opcode() {
            return bhs[0] & 0x3f;
        }

        int int32(int off) {
            return ByteBuffer.wrap(bhs).getInt(off);
        }
    }

    /** The outcome of a SCSI command. */
    record Response(int status, byte[] sense, byte[] data, int residual, int flags) {
        int senseKey() {
            return sense == null ? -1 : sense[2] & 0x0f;
        }

        int asc() {
            return sense == null ? -1 : sense[12] & 0xff;
        }
    }

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int cmdSn = 1;
    private int expStatSn;
    private int itt = 1;
    private boolean headerDigest;
    private boolean dataDigest;
    private int firstBurst = 65536;
    private boolean immediateData = true;
    private boolean initialR2T = true;
    int maxCmdSn;
    Map<String, String> answers = new LinkedHashMap<>();
    String initiator = INITIATOR;

    IscsiTestClient(String host, int port) throws IOException {
        socket = new Socket(host, port);
        socket.setSoTimeout(30_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Logs in without CHAP; returns the login status (0: success). */
    int login(String target, Map<String, String> operational) throws IOException {
        return login(target, null, null, null, operational);
    }

    /**
     * Logs in to {@code target} (null: a discovery session), with CHAP as {@code user}/{@code secret}
     * if given, and mutual CHAP (checking the target knows {@code targetSecret}) if that is given.
     */
    int login(String target, String user, Secret secret, Secret targetSecret, Map<String, String> operational)
            throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", initiator);
        keys.put("SessionType", target == null ? "Discovery" : "Normal");
        if (target != null) {
            keys.put("TargetName", target);
        }
        keys.put("AuthMethod", secret == null ? "None" : "CHAP,None");
        Received r = loginPdu(0, 1, secret == null, keys);
        if (status(r) != 0) {
            return status(r);
        }
        if (secret != null) {
            r = loginPdu(0, 1, false, Map.of("CHAP_A", "5"));
            Map<String, String> c = TextKeys.parse(r.data());
            int id = Integer.parseInt(c.get("CHAP_I"));
            byte[] challenge = ChapExchange.decode(c.get("CHAP_C"));
            Map<String, String> resp = new LinkedHashMap<>();
            resp.put("CHAP_N", user);
            resp.put("CHAP_R", "0x" + HexFormat.of().formatHex(ChapExchange.md5(id, secret, challenge)));
            byte[] mine = new byte[16];
            if (targetSecret != null) {
                new java.util.Random().nextBytes(mine);
                resp.put("CHAP_I", "7");
                resp.put("CHAP_C", "0x" + HexFormat.of().formatHex(mine));
            }
            r = loginPdu(0, 1, true, resp);
            if (status(r) != 0) {
                return status(r);
            }
            if (targetSecret != null) {
                byte[] theirs = ChapExchange.decode(TextKeys.parse(r.data()).get("CHAP_R"));
                if (!java.util.Arrays.equals(theirs, ChapExchange.md5(7, targetSecret, mine))) {
                    throw new IOException("the target failed mutual CHAP");
                }
            }
        }
        r = loginPdu(1, 3, true, operational);
        if (status(r) == 0) {
            answers = TextKeys.parse(r.data());
            headerDigest = "CRC32C".equals(answers.get("HeaderDigest"));
            dataDigest = "CRC32C".equals(answers.get("DataDigest"));
            firstBurst = Integer.parseInt(answers.getOrDefault("FirstBurstLength", "65536"));
            immediateData = !"No".equals(answers.getOrDefault("ImmediateData", "Yes"));
            initialR2T = !"No".equals(answers.getOrDefault("InitialR2T", "Yes"));
        }
        return status(r);
    }

    private static int status(Received r) {
        return ((r.bhs()[36] & 0xff) << 8) | (r.bhs()[37] & 0xff);
    }

    private Received loginPdu(int csg, int nsg, boolean transit, Map<String, String> keys) throws IOException {
        byte[] h = PduWriter.header(0x40 | Pdu.LOGIN, (transit ? 0x80 : 0) | (csg << 2) | (transit ? nsg : 0));
        h[8] = 0x40;
        h[13] = 1; // ISID
        PduWriter.putInt(h, 16, itt++);
        PduWriter.putInt(h, 24, cmdSn);
        PduWriter.putInt(h, 28, expStatSn);
        send(h, TextKeys.format(keys));
        Received r = read();
        expStatSn = r.int32(24) + 1;
        maxCmdSn = r.int32(32);
        return r;
    }

    /** Sends a PDU with this connection's digests; the data segment length is set here. */
    void send(byte[] bhs, byte[] data) throws IOException {
        int n = data == null ? 0 : data.length;
        bhs[5] = (byte) (n >>> 16);
        bhs[6] = (byte) (n >>> 8);
        bhs[7] = (byte) n;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(bhs);
        if (headerDigest) {
            writeLe(b, Crc32c.of(Unpooled.wrappedBuffer(bhs), 0, 48));
        }
        if (n > 0) {
            byte[] padded = java.util.Arrays.copyOf(data, (n + 3) & ~3);
            b.writeBytes(padded);
            if (dataDigest) {
                writeLe(b, Crc32c.of(Unpooled.wrappedBuffer(padded), 0, padded.length));
            }
        }
        out.write(b.toByteArray());
        out.flush();
    }

    private static void writeLe(ByteArrayOutputStream b, int v) {
        b.write(v);
        b.write(v >>> 8);
        b.write(v >>> 16);
        b.write(v >>> 24);
    }

    Received read() throws IOException {
        byte[] h = new byte[48];
        in.readFully(h);
        in.skipNBytes((h[4] & 0xff) * 4L + (headerDigest ? 4 : 0));
        int n = ((h[5] & 0xff) << 16) | ((h[6] & 0xff) << 8) | (h[7] & 0xff);
        byte[] d = new byte[n];
        in.readFully(d);
        in.skipNBytes(((4 - (n & 3)) & 3) + (dataDigest && n > 0 ? 4 : 0));
        return new Received(h, d);
    }

    /** Reads PDUs until one that is not a NOP-In ping (answering pings). */
    Received readSkippingPings() throws IOException {
        while (true) {
            Received r = read();
            if (r.opcode() == Pdu.NOP_IN && r.int32(16) == Pdu.RESERVED_TAG) {
                byte[] h = PduWriter.header(0x40 | Pdu.NOP_OUT, 0x80);
                PduWriter.putInt(h, 16, Pdu.RESERVED_TAG);
                PduWriter.putInt(h, 20, r.int32(20));
                PduWriter.putInt(h, 24, cmdSn);
                send(h, null);
                continue;
            }
            return r;
        }
    }

    /** A SCSI command header (the CmdSN taken); {@code flags} is byte 1 (F, R, W, attributes). */
    byte[] commandHeader(byte[] cdb, int flags, int expectedLength, int tag) {
        byte[] h = PduWriter.header(Pdu.SCSI_COMMAND, flags);
        PduWriter.putInt(h, 16, tag);
        PduWriter.putInt(h, 20, expectedLength);
        PduWriter.putInt(h, 24, cmdSn++);
        PduWriter.putInt(h, 28, expStatSn);
        System.arraycopy(cdb, 0, h, 32, Math.min(16, cdb.length));
        return h;
    }

    /** Runs one SCSI command: {@code dataOut} is sent (immediate, unsolicited, solicited), up to {@code readLength} read. */
    Response scsi(byte[] cdb, byte[] dataOut, int readLength) throws IOException {
        boolean write = dataOut != null && dataOut.length > 0;
        int edtl = write ? dataOut.length : readLength;
        int tag = itt++;
        int immediate = write && immediateData ? Math.min(Math.min(firstBurst, dataOut.length), 8192) : 0;
        int unsolicited = write && !initialR2T ? Math.min(firstBurst, dataOut.length) : immediate;
        boolean followUp = unsolicited > immediate;
        int flags = (followUp ? 0 : 0x80) | (write ? 0x20 : 0) | (readLength > 0 ? 0x40 : 0) | 0x01;
        byte[] h = commandHeader(cdb, flags, edtl, tag);
        send(h, immediate > 0 ? java.util.Arrays.copyOf(dataOut, immediate) : null);
        if (followUp) {
            sendData(tag, Pdu.RESERVED_TAG, dataOut, immediate, unsolicited - immediate);
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            Received r = readSkippingPings();
            switch (r.opcode()) {
                case Pdu.R2T -> sendData(tag, r.int32(20), dataOut, r.int32(40), r.int32(44));
                case Pdu.DATA_IN -> {
                    data.writeBytes(r.data());
                    if ((r.bhs()[1] & 0x01) != 0) {
                        expStatSn = r.int32(24) + 1;
                        maxCmdSn = r.int32(32);
                        return new Response(r.bhs()[3] & 0xff, null, data.toByteArray(), r.int32(44), r.bhs()[1]);
                    }
                }
                case Pdu.SCSI_RESPONSE -> {
                    expStatSn = r.int32(24) + 1;
                    maxCmdSn = r.int32(32);
                    byte[] sense = null;
                    if (r.data().length >= 2) {
                        int len = ((r.data()[0] & 0xff) << 8) | (r.data()[1] & 0xff);
                        sense = java.util.Arrays.copyOfRange(r.data(), 2, 2 + len);
                    }
                    return new Response(r.bhs()[3] & 0xff, sense, data.toByteArray(), r.int32(44), r.bhs()[1]);
                }
                default -> throw new IOException("unexpected PDU 0x" + Integer.toHexString(r.opcode()));
            }
        }
    }

    private void sendData(int tag, int ttt, byte[] all, int offset, int length) throws IOException {
        int dataSn = 0;
        for (int done = 0; done < length; ) {
            int n = Math.min(8192, length - done);
            byte[] h = PduWriter.header(Pdu.DATA_OUT, done + n == length ? 0x80 : 0);
            PduWriter.putInt(h, 16, tag);
            PduWriter.putInt(h, 20, ttt);
            PduWriter.putInt(h, 28, expStatSn);
            PduWriter.putInt(h, 36, dataSn++);
            PduWriter.putInt(h, 40, offset + done);
            send(h, java.util.Arrays.copyOfRange(all, offset + done, offset + done + n));
            done += n;
        }
    }

    byte[] read(long lba, int blocks, int blockSize) throws IOException {
        Response r = scsi(cdb16(BlockCommands.READ_16, lba, blocks, 0), null, blocks * blockSize);
        if (r.status() != 0) {
            throw new IOException("READ failed: status " + r.status() + " key " + r.senseKey());
        }
        return r.data();
    }

    void write(long lba, byte[] data, int blockSize, boolean fua) throws IOException {
        Response r = scsi(cdb16(BlockCommands.WRITE_16, lba, data.length / blockSize, fua ? 0x08 : 0), data, 0);
        if (r.status() != 0) {
            throw new IOException("WRITE failed: status " + r.status() + " key " + r.senseKey());
        }
    }

    static byte[] cdb16(int opcode, long lba, long blocks, int byte1) {
        byte[] c = new byte[16];
        c[0] = (byte) opcode;
        c[1] = (byte) byte1;
        Cdb.put64(c, 2, lba);
        Cdb.put32(c, 10, blocks);
        return c;
    }

    /** Sends a NOP-Out with {@code data} and returns the NOP-In's data. */
    byte[] nop(byte[] data) throws IOException {
        byte[] h = PduWriter.header(0x40 | Pdu.NOP_OUT, 0x80);
        PduWriter.putInt(h, 16, itt++);
        PduWriter.putInt(h, 20, Pdu.RESERVED_TAG);
        PduWriter.putInt(h, 24, cmdSn);
        PduWriter.putInt(h, 28, expStatSn);
        send(h, data);
        Received r = readSkippingPings();
        if (r.opcode() != Pdu.NOP_IN) {
            throw new IOException("expected NOP-In, got 0x" + Integer.toHexString(r.opcode()));
        }
        expStatSn = r.int32(24) + 1;
        return r.data();
    }

    /** A Text Request; returns the keys of all response parts. */
    String text(String keys) throws IOException {
        StringBuilder all = new StringBuilder();
        int ttt = Pdu.RESERVED_TAG;
        byte[] body = (keys + "\0").getBytes(StandardCharsets.UTF_8);
        while (true) {
            byte[] h = PduWriter.header(0x40 | Pdu.TEXT, 0x80);
            PduWriter.putInt(h, 16, itt++);
            PduWriter.putInt(h, 20, ttt);
            PduWriter.putInt(h, 24, cmdSn);
            PduWriter.putInt(h, 28, expStatSn);
            send(h, body);
            Received r = readSkippingPings();
            all.append(new String(r.data(), StandardCharsets.UTF_8));
            expStatSn = r.int32(24) + 1;
            if ((r.bhs()[1] & 0x80) != 0) {
                return all.toString();
            }
            ttt = r.int32(20);
            body = new byte[0];
        }
    }

    /** Logs out; returns the response code. */
    int logout() throws IOException {
        byte[] h = PduWriter.header(0x40 | Pdu.LOGOUT, 0x80);
        PduWriter.putInt(h, 16, itt++);
        PduWriter.putInt(h, 24, cmdSn);
        PduWriter.putInt(h, 28, expStatSn);
        send(h, null);
        Received r = readSkippingPings();
        return r.bhs()[2] & 0xff;
    }

    int nextTag() {
        return itt++;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
