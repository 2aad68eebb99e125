#!/usr/bin/env python3
"""kafka-python 2.0.2 round trip against a Wharf broker, driven by tests/Wharf.Compat.Tests.

usage: roundtrip.py BOOTSTRAP TOPIC COUNT [COMPRESSION]

Produces COUNT keyed records with headers (acks=all) to partition 0 of TOPIC, then reads the partition back
with a group-less consumer (manual assign + seek_to_beginning). Prints one JSON document on stdout:
{"api_version": [..], "produced": [{"partition", "offset"}], "consumed": [{"partition", "offset", "key",
"value", "headers": [[name, value]]}]}. Diagnostics go to stderr; a non-zero exit means the script failed.
"""
import json
import logging
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def main():
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    compression = sys.argv[4] if len(sys.argv) > 4 else "gzip"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        compression_type=None if compression == "none" else compression,
        linger_ms=5,
        retries=5,
        request_timeout_ms=15000,
    )
    futures = []
    for i in range(count):
        key = ("key-%d" % (i % 5)).encode()
        value = ("value-%04d-kafka-python-naïve-☃" % i).encode()
        headers = [("seq", str(i).encode()), ("client", b"kafka-python")]
        futures.append(producer.send(topic, key=key, value=value, headers=headers, partition=0))
    producer.flush(timeout=20)
    produced = []
    for future in futures:
        metadata = future.get(timeout=20)
        produced.append({"partition": metadata.partition, "offset": metadata.offset})
    api_version = list(producer.config["api_version"])
    producer.close(timeout=10)

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=15000,
    )
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    consumed = []
    deadline = time.monotonic() + 20
    while len(consumed) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                consumed.append({
                    "partition": record.partition,
                    "offset": record.offset,
                    "key": record.key.decode() if record.key is not None else None,
                    "value": record.value.decode() if record.value is not None else None,
                    "headers": [[name, value.decode()] for name, value in record.headers],
                })
    consumer.close()

    json.dump({"api_version": api_version, "produced": produced, "consumed": consumed}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
