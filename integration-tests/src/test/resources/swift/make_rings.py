"""Builds single-device account/container/object rings for the Swift all-in-one test harness.

Usage: python3 make_rings.py SWIFT_DIR ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT

Equivalent to, for each kind: swift-ring-builder KIND.builder create 8 1 1;
add r1z1-127.0.0.1:PORT/d1 100; rebalance -- but in one interpreter, which is several
seconds faster than nine swift-ring-builder processes.
"""
import os
import sys

from swift.common.ring import RingBuilder


def main(argv):
    if len(argv) != 5:
        sys.exit("usage: make_rings.py SWIFT_DIR ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT")
    swift_dir = argv[1]
    for kind, port in zip(("account", "container", "object"), argv[2:]):
        builder = RingBuilder(8, 1, 1)
        builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                         "replication_ip": "127.0.0.1", "replication_port": int(port),
                         "device": "d1", "weight": 100, "meta": ""})
        builder.rebalance()
        builder.get_ring().save(os.path.join(swift_dir, kind + ".ring.gz"))
        builder.save(os.path.join(swift_dir, kind + ".builder"))
        print("%s ring: 1 device on 127.0.0.1:%s, %d partitions" % (kind, port, builder.parts))


if __name__ == "__main__":
    main(sys.argv)
