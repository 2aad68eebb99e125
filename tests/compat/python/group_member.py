#!/usr/bin/env python3
"""A kafka-python 2.0.2 consumer-group member, driven by tests/Wharf.Compat.Tests (GroupConsumerTests).

usage: group_member.py BOOTSTRAP GROUP TOPIC

Subscribes to TOPIC in GROUP (kafka-python's fixed versions: JoinGroup v2, SyncGroup v1, Heartbeat v1,
OffsetCommit v2, OffsetFetch v1) and prints, one per line on stdout:
  assigned P,P,...        after each rebalance (the partitions it now owns)
  msg PARTITION OFFSET VALUE   for each record, after which the offset is committed (at-least-once)
It stops cleanly (commit, LeaveGroup) when stdin closes or on SIGTERM. Diagnostics go to stderr.
"""
import logging
import signal
import sys
import threading

from kafka import KafkaConsumer
from kafka.consumer.subscription_state import ConsumerRebalanceListener

stop = threading.Event()


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        pass

    def on_partitions_assigned(self, assigned):
        print("assigned " + ",".join(str(tp.partition) for tp in sorted(assigned)), flush=True)


def watch_stdin():
    sys.stdin.read()
    stop.set()


def main():
    bootstrap, group, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=watch_stdin, daemon=True).start()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id="kafka-python-member",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        request_timeout_ms=15000,
        fetch_max_wait_ms=200,
    )
    consumer.subscribe([topic], listener=Listener())
    while not stop.is_set():
        batches = consumer.poll(timeout_ms=200)
        for tp, records in batches.items():
            for record in records:
                print("msg %d %d %s" % (record.partition, record.offset, record.value.decode("utf-8")), flush=True)
        if batches:
            consumer.commit()
    consumer.close()


if __name__ == "__main__":
    main()
