package io.scoria.accelerator.config;

import io.scoria.accelerator.cluster.ClusterConfig;
import io.scoria.backend.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The optional {@code cluster:} section, read by the shared config reader. */
class ClusterSectionTest {
    @Test
    void withoutTheSectionTheRouterIsASingleNode() {
        assertNull(ConfigLoader.parse("nbd: {port: 0}\n", "t.yaml").cluster());
    }

    @Test
    void theSectionIsReadWithDefaults() {
        ClusterConfig c = ConfigLoader.parse("""
                cluster:
                  zookeeper: 127.0.0.1:2181,127.0.0.1:2182/chroot
                  nodeId: node-a
                  advertise: {nbd: 10.0.0.1:10809, foc: 10.0.0.1:10900}
                """, "t.yaml").cluster();
        assertEquals("node-a", c.nodeId());
        assertEquals("/scoria", c.root());
        assertEquals(Duration.ofSeconds(10), c.sessionTimeoutDuration());
        assertEquals(Duration.ofSeconds(3), c.takeoverGraceDuration());
        assertEquals("10.0.0.1:10809", c.advertise().nbd());
        assertNull(c.advertise().api());
    }

    /**
     * On a cluster node the FOC's request timeout defaults above two thirds of the session timeout, so that
     * ZooKeeper suspends a partitioned node (holding its acknowledgements) before its FOC turns DEGRADED.
     */
    @Test
    void theFocRequestTimeoutOfAClusterNodeOutlastsTheSessionSuspension() {
        ScoriaConfig c = ConfigLoader.parse("""
                foc: {address: '10.0.0.2:10900'}
                cluster: {zookeeper: '127.0.0.1:2181', nodeId: node-a, sessionTimeout: 10s}
                """, "t.yaml");
        Duration session = c.cluster().sessionTimeoutDuration();
        assertEquals(Duration.ofMillis(7500), c.foc().requestTimeoutDuration(session));
        assertTrue(c.foc().requestTimeoutDuration(session).compareTo(session.multipliedBy(2).dividedBy(3)) > 0);
        assertEquals(Duration.ofSeconds(5), c.foc().requestTimeoutDuration(Duration.ofSeconds(4)), "never below 5 s");
        assertEquals(Duration.ofSeconds(5), c.foc().requestTimeoutDuration(), "5 s without a cluster");
        ScoriaConfig set = ConfigLoader.parse("foc: {address: '10.0.0.2:10900', requestTimeout: 2s}\n", "t.yaml");
        assertEquals(Duration.ofSeconds(2), set.foc().requestTimeoutDuration(session), "a value given is kept");
    }

    @Test
    void badValuesAndUnknownKeysAreRefusedByName() {
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("cluster: {nodeId: a}\n", "t.yaml"));
        assertTrue(e.getMessage().contains("cluster.zookeeper"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("cluster: {zookeeper: 'zk:2181'}\n", "t.yaml"));
        assertTrue(e.getMessage().contains("cluster.nodeId") && e.getMessage().contains("required"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "cluster: {zookeeper: 'zk:2181', nodeId: 'a b'}\n", "t.yaml"));
        assertTrue(e.getMessage().contains("cluster.nodeId"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "cluster: {zookeeper: 'zk', nodeId: a}\n", "t.yaml"));
        assertTrue(e.getMessage().contains("cluster.zookeeper") && e.getMessage().contains("HOST:PORT"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "cluster: {zookeeper: 'zk:2181', nodeId: a, sessionTimeout: 500ms}\n", "t.yaml"));
        assertTrue(e.getMessage().contains("cluster.sessionTimeout"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "cluster: {zookeeper: 'zk:2181', nodeId: a, advertise: {nbd: nowhere}}\n", "t.yaml"));
        assertTrue(e.getMessage().contains("cluster.advertise.nbd"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "cluster: {zookeeper: 'zk:2181', nodeId: a, quorum: 3}\n", "t.yaml"));
        assertTrue(e.getMessage().contains("cluster.quorum"), e.getMessage());
    }
}
