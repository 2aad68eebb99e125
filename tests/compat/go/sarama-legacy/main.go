// Drives Debian's sarama 1.22 (golang-github-shopify-sarama-dev) with its default protocol version, 0.8.2,
// the way lag monitors such as Burrow do: ListOffsets v0 for the newest and oldest offsets, FindCoordinator v0,
// OffsetCommit v1 and OffsetFetch v1 through its offset manager. The records are produced with a second client
// configured for 0.11 (Produce v3, record batches), since 0.8.2 would send the v0 message format the broker
// refuses. Prints one JSON document.
//
// Usage: sarama-legacy BOOTSTRAP TOPIC GROUP COUNT
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/Shopify/sarama"
)

type result struct {
	ClientVersion string `json:"clientVersion"`
	Produced      int    `json:"produced"`
	Newest        int64  `json:"newest"`
	Oldest        int64  `json:"oldest"`
	Committed     int64  `json:"committed"`
	InitialNext   int64  `json:"initialNext"`
	ReadBackNext  int64  `json:"readBackNext"`
	ReadBackMeta  string `json:"readBackMetadata"`
}

func main() {
	if len(os.Args) != 5 {
		fail(fmt.Errorf("usage: sarama-legacy BOOTSTRAP TOPIC GROUP COUNT"))
	}
	bootstrap, topic, group := []string{os.Args[1]}, os.Args[2], os.Args[3]
	count, err := strconv.Atoi(os.Args[4])
	check(err)

	produced := produce(bootstrap, topic, count)

	legacy := sarama.NewConfig() // Version stays at sarama's default, 0.8.2.0
	legacy.ClientID = "sarama-legacy"
	legacy.Consumer.Offsets.Initial = sarama.OffsetOldest
	client, err := sarama.NewClient(bootstrap, legacy)
	check(err)
	defer client.Close()

	newest, err := client.GetOffset(topic, 0, sarama.OffsetNewest)
	check(err)
	oldest, err := client.GetOffset(topic, 0, sarama.OffsetOldest)
	check(err)

	// Commit through the offset manager (OffsetCommit v1 with sarama's defaults), then read it back with a new one.
	manager, err := sarama.NewOffsetManagerFromClient(group, client)
	check(err)
	partition, err := manager.ManagePartition(topic, 0)
	check(err)
	initialNext, _ := partition.NextOffset()
	committed := newest - 2
	partition.MarkOffset(committed, "sarama-meta")
	check(partition.Close())
	check(manager.Close())

	again, err := sarama.NewOffsetManagerFromClient(group, client)
	check(err)
	readBack, err := again.ManagePartition(topic, 0)
	check(err)
	next, meta := readBack.NextOffset()
	check(readBack.Close())
	check(again.Close())

	out := result{
		ClientVersion: legacy.Version.String(), Produced: produced, Newest: newest, Oldest: oldest,
		Committed: committed, InitialNext: initialNext, ReadBackNext: next, ReadBackMeta: meta,
	}
	check(json.NewEncoder(os.Stdout).Encode(out))
}

func produce(bootstrap []string, topic string, count int) int {
	config := sarama.NewConfig()
	config.Version = sarama.V0_11_0_0
	config.Producer.Return.Successes = true
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Partitioner = sarama.NewManualPartitioner
	producer, err := sarama.NewSyncProducer(bootstrap, config)
	check(err)
	defer producer.Close()
	for i := 0; i < count; i++ {
		_, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(fmt.Sprintf("record-%d", i))})
		check(err)
	}
	return count
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sarama-legacy:", err)
	os.Exit(1)
}
