package io.scoria.accelerator.nbd;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static io.scoria.accelerator.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Meta context negotiation (LIST/SET_META_CONTEXT), BLOCK_STATUS for {@code base:allocation}, CACHE,
 * FAST_ZERO and snapshot exports, with the protocol's rules and bad input, against the real engine.
 */
class NbdMetaContextTest {
    private static final int C = 4096;
    private static final int HOLE = STATE_HOLE | STATE_ZERO;

    private static LocalVolumeService engine(Path dir) {
        return new LocalVolumeService(new InMemoryObjectStore(), EngineConfig.defaults(dir));
    }

    private static NbdServer server(io.scoria.accelerator.VolumeService s) {
        return new NbdServer(NbdServerConfig.loopback(0), s, new SimpleMeterRegistry());
    }

    private static NbdTestClient select(NbdServer server, String export) throws IOException {
        NbdTestClient c = new NbdTestClient("127.0.0.1", server.port());
        assertTrue(c.negotiateStructuredReplies());
        List<NbdTestClient.OptionReply> r = c.option(OPT_SET_META_CONTEXT, NbdTestClient.metaPayload(export, CONTEXT_BASE_ALLOCATION));
        assertEquals(List.of(CONTEXT_BASE_ALLOCATION), NbdTestClient.contextNames(r));
        assertEquals(REP_ACK, r.get(r.size() - 1).type());
        assertEquals(REP_ACK, c.go(export));
        return c;
    }

    @Test
    void negotiationFollowsTheSpecAndRefusesBadInput(@TempDir Path dir) throws Exception {
        try (LocalVolumeService s = engine(dir); NbdServer server = server(s)) {
            s.create("vol", VolumeSpec.ofSize(1 << 20));
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ERR_INVALID, c.option(OPT_LIST_META_CONTEXT, NbdTestClient.metaPayload("vol")).get(0).type(),
                        "LIST before structured replies");
                assertEquals(REP_ERR_INVALID, c.option(OPT_SET_META_CONTEXT,
                        NbdTestClient.metaPayload("vol", CONTEXT_BASE_ALLOCATION)).get(0).type(), "SET before structured replies");
                assertTrue(c.negotiateStructuredReplies());
                assertEquals(List.of(CONTEXT_BASE_ALLOCATION), NbdTestClient.contextNames(
                        c.option(OPT_LIST_META_CONTEXT, NbdTestClient.metaPayload("vol"))), "no query lists all");
                assertEquals(List.of(CONTEXT_BASE_ALLOCATION), NbdTestClient.contextNames(
                        c.option(OPT_LIST_META_CONTEXT, NbdTestClient.metaPayload("vol", "base:", "base:allocation"))),
                        "the base: wildcard and the name, listed once");
                List<NbdTestClient.OptionReply> unknown = c.option(OPT_LIST_META_CONTEXT,
                        NbdTestClient.metaPayload("vol", "qemu:dirty-bitmap:s1", "x-foo:bar", "base:nothing"));
                assertEquals(1, unknown.size(), "unknown namespaces and leaves are ignored");
                assertEquals(REP_ACK, unknown.get(0).type());
                assertEquals(REP_ERR_INVALID, c.option(OPT_LIST_META_CONTEXT, NbdTestClient.metaPayload("vol", "nocolon"))
                        .get(0).type());
                assertEquals(REP_ERR_UNKNOWN, c.option(OPT_SET_META_CONTEXT,
                        NbdTestClient.metaPayload("nothere", CONTEXT_BASE_ALLOCATION)).get(0).type());
                String[] many = new String[MetaContextQuery.MAX_QUERIES + 1];
                java.util.Arrays.fill(many, "base:");
                assertEquals(REP_ERR_TOO_BIG, c.option(OPT_LIST_META_CONTEXT, NbdTestClient.metaPayload("vol", many))
                        .get(0).type());
                byte[] good = NbdTestClient.metaPayload("vol", CONTEXT_BASE_ALLOCATION);
                assertEquals(REP_ERR_INVALID, c.option(OPT_SET_META_CONTEXT, java.util.Arrays.copyOf(good, good.length - 3))
                        .get(0).type(), "a query running past the option");
                assertEquals(REP_ERR_INVALID, c.option(OPT_SET_META_CONTEXT, java.util.Arrays.copyOf(good, good.length + 2))
                        .get(0).type(), "bytes after the last query");
                List<NbdTestClient.OptionReply> wildcard = c.option(OPT_SET_META_CONTEXT, NbdTestClient.metaPayload("vol", "base:"));
                assertEquals(List.of(), NbdTestClient.contextNames(wildcard), "base: selects nothing in SET");
                assertEquals(REP_ACK, c.go("vol"));
                IOException none = assertThrows(IOException.class, () -> c.blockStatus(0, C, 0));
                assertTrue(none.getMessage().contains("error 22"), "BLOCK_STATUS with no context selected: " + none.getMessage());
                assertTrue((c.transmissionFlags & TFLAG_SEND_CACHE) != 0);
                assertTrue((c.transmissionFlags & TFLAG_SEND_FAST_ZERO) != 0);
            }
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertTrue(c.negotiateStructuredReplies());
                s.create("other", VolumeSpec.ofSize(1 << 20));
                assertEquals(1, NbdTestClient.contextNames(c.option(OPT_SET_META_CONTEXT,
                        NbdTestClient.metaPayload("other", CONTEXT_BASE_ALLOCATION))).size());
                assertEquals(REP_ACK, c.go("vol"));
                IOException e = assertThrows(IOException.class, () -> c.blockStatus(0, C, 0));
                assertTrue(e.getMessage().contains("error 22"), "contexts selected for another export: " + e.getMessage());
                assertArrayEquals(new byte[C], c.read(0, C), "the connection still serves");
            }
        }
    }

    @Test
    void blockStatusReportsTheLbaMapWithinTheSpecsRules(@TempDir Path dir) throws Exception {
        try (LocalVolumeService s = engine(dir); NbdServer server = server(s)) {
            s.create("vol", VolumeSpec.ofSize(64 * C));
            Volume v = s.open("vol");
            v.write(8 * C, ByteBuffer.wrap(NbdServerTest.pattern(8 * C, 1)), false);
            v.writeZeroes(10 * C, 2 * C, false);
            try (NbdTestClient c = select(server, "vol")) {
                assertEquals(List.of("8:3", "2:0", "2:3", "4:0", "48:3"), describe(c.blockStatus(0, 64 * C, 0)));
                assertEquals(List.of("8:3"), describe(c.blockStatus(0, 64 * C, CMD_FLAG_REQ_ONE)), "REQ_ONE: one extent");
                List<long[]> one = c.blockStatus(0, 100, CMD_FLAG_REQ_ONE);
                assertEquals(1, one.size());
                assertEquals(100, one.get(0)[0], "never longer than the request");
                List<long[]> tail = c.blockStatus(9 * C + 1, C, 0);
                assertEquals(C - 1, tail.get(0)[0], "the first extent starts at the offset");
                long sum = tail.stream().mapToLong(d -> d[0]).sum();
                assertEquals(C, sum, "extents end at the requested end");
                c.write(40 * C, NbdServerTest.pattern(C, 2), 0);
                assertEquals(List.of("8:3", "2:0", "2:3", "4:0", "24:3", "1:0", "23:3"), describe(c.blockStatus(0, 64 * C, 0)));
                for (long[] bad : new long[][]{{63 * C, 2 * C}, {0, 0}, {64 * C, 1}}) {
                    IOException e = assertThrows(IOException.class, () -> c.blockStatus(bad[0], bad[1], 0));
                    assertTrue(e.getMessage().contains("error 22"), e.getMessage());
                }
                IOException flags = assertThrows(IOException.class, () -> c.blockStatus(0, C, CMD_FLAG_FUA));
                assertTrue(flags.getMessage().contains("error 22"), flags.getMessage());
                assertEquals(0, c.command(CMD_CACHE, 0, 0, 64 * C), "CACHE prefetches and succeeds");
                assertEquals(EINVAL, c.command(CMD_CACHE, 0, 63 * C, 2 * C), "CACHE past the end");
                assertEquals(EINVAL, c.command(CMD_CACHE, CMD_FLAG_FUA, 0, C), "CACHE takes no flags");
                assertEquals(0, c.command(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, 8 * C, 8 * C), "FAST_ZERO is fast here");
                assertArrayEquals(new byte[8 * C], c.read(8 * C, 8 * C));
                assertEquals(List.of("40:3", "1:0", "23:3"), describe(c.blockStatus(0, 64 * C, 0)));
            }
        }
    }

    /** {@code qemu:dirty-bitmap:OLDER} on a snapshot export: listed, selected with base:allocation, answered per chunk. */
    @Test
    void aSnapshotExportHasADirtyBitmapPerOlderSnapshot(@TempDir Path dir) throws Exception {
        try (LocalVolumeService s = engine(dir); NbdServer server = server(s)) {
            s.create("vol", VolumeSpec.ofSize(64 * C));
            Volume v = s.open("vol");
            v.write(0, ByteBuffer.wrap(NbdServerTest.pattern(16 * C, 1)), false);
            v.snapshot("s1");
            v.write(4 * C, ByteBuffer.wrap(NbdServerTest.pattern(2 * C, 2)), false);  // 4..5
            v.write(40 * C, ByteBuffer.wrap(NbdServerTest.pattern(C, 3)), false);     // 40
            v.trim(10 * C, C);                                                          // 10 held data
            v.snapshot("s2");
            v.write(50 * C, ByteBuffer.wrap(NbdServerTest.pattern(C, 4)), false);
            v.snapshot("s3");
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertTrue(c.negotiateStructuredReplies());
                assertEquals(List.of(CONTEXT_BASE_ALLOCATION, "qemu:dirty-bitmap:s1"), NbdTestClient.contextNames(
                        c.option(OPT_LIST_META_CONTEXT, NbdTestClient.metaPayload("vol@s2"))), "no query lists all");
                assertEquals(List.of("qemu:dirty-bitmap:s1", "qemu:dirty-bitmap:s2"), NbdTestClient.contextNames(
                        c.option(OPT_LIST_META_CONTEXT, NbdTestClient.metaPayload("vol@s3", "qemu:"))));
                assertEquals(List.of(), NbdTestClient.contextNames(c.option(OPT_LIST_META_CONTEXT,
                        NbdTestClient.metaPayload("vol", "qemu:"))), "the live volume has no dirty bitmaps");
                assertEquals(List.of(), NbdTestClient.contextNames(c.option(OPT_LIST_META_CONTEXT,
                        NbdTestClient.metaPayload("vol@s2", "qemu:dirty-bitmap:s3"))), "a newer snapshot is no bitmap");
                assertEquals(REP_ERR_UNKNOWN, c.option(OPT_LIST_META_CONTEXT,
                        NbdTestClient.metaPayload("vol@nope", "qemu:")).get(0).type());
                List<NbdTestClient.OptionReply> set = c.option(OPT_SET_META_CONTEXT,
                        NbdTestClient.metaPayload("vol@s3", CONTEXT_BASE_ALLOCATION, "qemu:dirty-bitmap:s1", "qemu:dirty-bitmap:s2"));
                assertEquals(List.of(CONTEXT_BASE_ALLOCATION, "qemu:dirty-bitmap:s1"), NbdTestClient.contextNames(set),
                        "one dirty bitmap at a time");
                assertEquals(REP_ACK, c.go("vol@s3"));
                var byContext = c.blockStatusByContext(0, 64 * C, 0);
                assertEquals(List.of(MetaContexts.ID_ALLOCATION, MetaContexts.ID_DIRTY), List.copyOf(byContext.keySet()));
                assertEquals(List.of("10:0", "1:3", "5:0", "24:3", "1:0", "9:3", "1:0", "13:3"),
                        describe(byContext.get(MetaContexts.ID_ALLOCATION)));
                assertEquals(List.of("4:0", "2:1", "4:0", "1:1", "29:0", "1:1", "9:0", "1:1", "13:0"),
                        describe(byContext.get(MetaContexts.ID_DIRTY)), "changed after s1 up to s3: 4..5, 10, 40, 50");
                var one = c.blockStatusByContext(4 * C + 100, 64, CMD_FLAG_REQ_ONE);
                assertEquals(64, one.get(MetaContexts.ID_DIRTY).get(0)[0], "an unaligned request gets its own bounds");
                assertEquals(1, one.get(MetaContexts.ID_DIRTY).get(0)[1]);
            }
        }
    }

    /** A reply holds at most {@link QueryCommands#MAX_DESCRIPTORS}; the client goes on from where it ends. */
    @Test
    void aReplyIsBoundedAndTheClientContinues() throws Exception {
        try (InMemoryVolumeService s = new InMemoryVolumeService(); NbdServer server = server(s)) {
            long size = 1L << 30; // the in-memory volume reports one extent per 4 KiB cluster: 262,144
            s.create("big", VolumeSpec.ofSize(size));
            try (NbdTestClient c = select(server, "big")) {
                long covered = 0;
                int replies = 0;
                while (covered < size) {
                    List<long[]> d = c.blockStatus(covered, Math.min(size - covered, 0xFFFFF000L), 0);
                    assertTrue(d.size() <= QueryCommands.MAX_DESCRIPTORS, "descriptors " + d.size());
                    covered += d.stream().mapToLong(x -> x[0]).sum();
                    replies++;
                }
                assertEquals(size, covered);
                assertEquals(4, replies);
            }
        }
    }

    @Test
    void aSnapshotExportIsReadOnlyAndServesTheSnapshot(@TempDir Path dir) throws Exception {
        try (LocalVolumeService s = engine(dir); NbdServer server = server(s)) {
            s.create("vol", VolumeSpec.ofSize(16 * C));
            Volume v = s.open("vol");
            byte[] before = NbdServerTest.pattern(2 * C, 3);
            v.write(0, ByteBuffer.wrap(before), false);
            v.snapshot("nightly");
            v.write(0, ByteBuffer.wrap(NbdServerTest.pattern(2 * C, 4)), false);
            try (NbdTestClient c = select(server, "vol@nightly")) {
                assertTrue((c.transmissionFlags & TFLAG_READ_ONLY) != 0);
                assertEquals(16L * C, c.exportSize);
                assertArrayEquals(before, c.read(0, 2 * C));
                assertEquals(EPERM, c.write(0, new byte[C], 0));
                assertEquals(EPERM, c.command(CMD_TRIM, 0, 0, C));
                assertEquals(List.of("2:0", "14:3"), describe(c.blockStatus(0, 16 * C, 0)));
            }
            try (NbdTestClient c = new NbdTestClient("127.0.0.1", server.port())) {
                assertEquals(REP_ERR_UNKNOWN, c.go("vol@nope"));
                assertEquals(REP_ERR_UNKNOWN, c.go("nothere@nightly"));
                assertEquals(REP_ERR_UNKNOWN, c.go("vol@"));
            }
        }
    }

    /** Descriptors as "clusters:flags". */
    private static List<String> describe(List<long[]> d) {
        return d.stream().map(x -> (x[0] / C) + ":" + x[1]).toList();
    }
}
