#!/usr/bin/env python3
"""Debian's python3-confluent-kafka (librdkafka 2.0.2) transactions against a Wharf broker, driven by
tests/Wharf.Compat.Tests.

usage: transactions.py BOOTSTRAP TOPIC PARTITIONS TRANSACTIONS

Creates TOPIC, runs TRANSACTIONS transactions of 4 records with a transactional producer (every third one aborted
after its records were flushed to the broker), then reads TOPIC from the start with a read_committed consumer and
with a read_uncommitted one. Prints one JSON document on stdout: {"committed": [...], "aborted": [...],
"read_committed": [...], "read_uncommitted": [...]}. Diagnostics go to stderr; a non-zero exit means the script failed.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def read_all(bootstrap, topic, partitions, isolation, expected):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "py-txn-reader-%s-%d" % (isolation, time.time_ns()),
        "enable.auto.commit": False,
        "isolation.level": isolation,
    })
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values = []
    deadline = time.time() + 30
    quiet_since = time.time()
    while time.time() < deadline and (len(values) < expected or time.time() - quiet_since < 2):
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        quiet_since = time.time()
        values.append(message.value().decode())
    consumer.close()
    return values


def main():
    bootstrap, topic, partitions, transactions = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
        future.result(30)

    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "python-txn-1", "linger.ms": 5})
    producer.init_transactions(30)
    committed, aborted = [], []
    for t in range(transactions):
        abort = t % 3 == 2
        producer.begin_transaction()
        values = ["t%d-m%d" % (t, i) for i in range(4)]
        for i, value in enumerate(values):
            producer.produce(topic, value=value.encode(), partition=i % partitions)
        if abort:
            producer.flush(30)  # the aborted records must reach the log, not be purged from the client's queue
            producer.abort_transaction(30)
            aborted.extend(values)
        else:
            producer.commit_transaction(30)
            committed.extend(values)

    json.dump({
        "committed": committed,
        "aborted": aborted,
        "read_committed": read_all(bootstrap, topic, partitions, "read_committed", len(committed)),
        "read_uncommitted": read_all(bootstrap, topic, partitions, "read_uncommitted", len(committed) + len(aborted)),
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
