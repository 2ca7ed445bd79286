package io.scoria.accelerator.cluster;

import io.scoria.accelerator.NumberReservation;
import io.scoria.accelerator.StaleEpochException;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.VolumeFencedException;
import io.scoria.sco.ClusterLocation;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

import java.util.function.BiConsumer;

/**
 * Reserves SCO and TLog numbers per owner epoch in the {@code numbers} znode ({@link Znodes.Numbers}), so
 * that two epochs never name a new object alike: an upload of a superseded owner still in flight when
 * its lease ended lands on a key the new owner never uses, and cannot replace the new owner's object
 * (backends have no conditional put for it). The first reservation of an epoch starts above the limits
 * every earlier epoch reserved; later ones of the same epoch only raise the limits. Each write is one
 * transaction that checks the {@code epoch} znode is still at the lease's grant, so a node whose lease
 * is over reserves nothing. A new epoch skips what is left of the previous one's range: at most
 * {@link #SCO_BLOCK} SCO and {@link #TLOG_BLOCK} TLog numbers per grant, against 2^32 and 2^40.
 * Thread-safe (state in ZooKeeper only).
 */
final class NumberRanges {
    static final long SCO_BLOCK = 1024;
    static final long TLOG_BLOCK = 256;
    /** Router TLog numbers stay below 2^40 (scrub outputs use the numbers above, see ScrubbedTlogs). */
    static final long TLOG_END = 1L << 40;
    static final long SCO_END = ClusterLocation.MAX_SCO_NUMBER + 1;

    private final CuratorFramework zk;
    private final Znodes paths;
    private final BiConsumer<Lease, String> superseded;

    /** {@code superseded} is told when a reservation found the volume granted again (the lease is over). */
    NumberRanges(CuratorFramework zk, Znodes paths, BiConsumer<Lease, String> superseded) {
        this.zk = zk;
        this.paths = paths;
        this.superseded = superseded;
    }

    NumberReservation reserve(Lease lease, long nextSco, long nextTlog) {
        String volume = lease.volume();
        String path = paths.numbers(volume);
        long epoch = lease.epoch();
        try {
            for (int attempt = 0; attempt < 20; attempt++) {
                Stat stat = new Stat();
                Znodes.Numbers last;
                try {
                    last = Znodes.decode(zk.getData().storingStatIn(stat).forPath(path), Znodes.Numbers.class, path);
                } catch (KeeperException.NoNodeException none) {
                    last = null;
                }
                if (last != null && last.epoch() > epoch) {
                    superseded.accept(lease, "epoch " + last.epoch() + " reserved object numbers");
                    throw new StaleEpochException(volume, epoch, last.epoch());
                }
                boolean inherited = last != null && last.epoch() < epoch;
                long firstSco = inherited ? Math.max(nextSco, last.scoLimit()) : nextSco;
                long firstTlog = inherited ? Math.max(nextTlog, last.tlogLimit()) : nextTlog;
                if (firstSco >= SCO_END || firstTlog >= TLOG_END) {
                    throw new VolumeException("volume '" + volume + "': SCO or TLog numbers are exhausted (next SCO "
                            + firstSco + ", next TLog " + firstTlog + ")");
                }
                long scoLimit = Math.min(SCO_END, Math.max(ownLimit(last, epoch, true), firstSco + SCO_BLOCK));
                long tlogLimit = Math.min(TLOG_END, Math.max(ownLimit(last, epoch, false), firstTlog + TLOG_BLOCK));
                byte[] data = Znodes.encode(new Znodes.Numbers(epoch, scoLimit, tlogLimit));
                CuratorOp checkEpoch = zk.transactionOp().check().withVersion(lease.epochVersion()).forPath(paths.epoch(volume));
                CuratorOp write = last == null ? zk.transactionOp().create().forPath(path, data)
                        : zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(path, data);
                try {
                    zk.transaction().forOperations(checkEpoch, write);
                    return new NumberReservation(epoch, firstSco, scoLimit, firstTlog, tlogLimit);
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                         | KeeperException.NoNodeException conflict) {
                    Stat epochStat = zk.checkExists().forPath(paths.epoch(volume));
                    if (epochStat == null || epochStat.getVersion() != lease.epochVersion()) {
                        superseded.accept(lease, "the volume was granted again while this node reserved object numbers");
                        throw new VolumeFencedException("volume '" + volume + "': epoch " + epoch
                                + " was superseded; no object numbers reserved");
                    }
                    // only the numbers znode moved (an earlier attempt of this node): read it again
                }
            }
            throw new ClusterException("volume '" + volume + "': the numbers znode keeps changing; gave up");
        } catch (VolumeException e) {
            throw e;
        } catch (Exception e) {
            throw new VolumeFencedException("volume '" + volume + "': cannot reserve object numbers in ZooKeeper: " + e, e);
        }
    }

    /** The limit this epoch reserved already (0 when the record is another epoch's or absent). */
    private static long ownLimit(Znodes.Numbers last, long epoch, boolean sco) {
        if (last == null || last.epoch() != epoch) {
            return 0;
        }
        return sco ? last.scoLimit() : last.tlogLimit();
    }
}
