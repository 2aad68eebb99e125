#!/usr/bin/env python3
"""kafka-python 2.0.2 KafkaAdminClient against a Wharf broker, driven by tests/Wharf.Compat.Tests.

usage: admin.py BOOTSTRAP TOPIC PARTITIONS

Creates TOPIC, lists topics, describes the cluster's partitions of TOPIC via the client's metadata, deletes
TOPIC and lists again. Prints one JSON document on stdout:
{"create_errors": [[topic, code]], "listed_after_create": bool, "partitions": [..],
 "delete_errors": [[topic, code]], "listed_after_delete": bool, "create_again_errors": [[topic, code]]}.
"""
import json
import logging
import sys

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError


def listed(admin, topic):
    return topic in admin.list_topics()


def main():
    bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    result = {}

    created = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)], timeout_ms=10000)
    result["create_errors"] = [[name, code] for name, code, *_ in created.topic_errors]
    result["listed_after_create"] = listed(admin, topic)

    # Partition ids as a group-less consumer sees them (Metadata v1 through the client's cluster metadata).
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    result["partitions"] = sorted(consumer.partitions_for_topic(topic) or [])
    consumer.close()

    # kafka-python raises the first topic error of a CreateTopics response; report its code instead.
    try:
        again = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)], timeout_ms=10000)
        result["create_again_errors"] = [[name, code] for name, code, *_ in again.topic_errors]
    except KafkaError as error:
        result["create_again_errors"] = [[topic, error.errno]]

    deleted = admin.delete_topics([topic], timeout_ms=10000)
    result["delete_errors"] = [[name, code] for name, code in deleted.topic_error_codes]
    result["listed_after_delete"] = listed(admin, topic)
    admin.close()

    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
