'use strict'
// KafkaJS 2.2.4 admin + producer against a Wharf broker, driven by tests/Wharf.Compat.Tests.
//
// usage: node produce.js BOOTSTRAP TOPIC PARTITIONS COUNT
//
// Creates TOPIC (and tries again, expecting "already exists"), lists and describes it, produces COUNT keyed
// records with headers (acks=-1; first half gzip, second half uncompressed; record i goes to partition
// i % PARTITIONS), then asks for the topic's offsets. Prints one JSON document on stdout.
const { CompressionTypes } = require('kafkajs')
const { client, main } = require('./common')

const [bootstrap, topic, partitionsText, countText] = process.argv.slice(2)
const partitions = Number(partitionsText)
const count = Number(countText)

main(async () => {
  const kafka = client(bootstrap, 'wharf-compat-kafkajs')
  const admin = kafka.admin()
  await admin.connect()
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  try {
    const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
    const createdAgain = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] })
    const listed = (await admin.listTopics()).includes(topic)
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    const described = metadata.topics.map(t => ({
      name: t.name,
      partitions: t.partitions.map(p => ({ partition: p.partitionId, leader: p.leader, errorCode: p.partitionErrorCode })).sort((a, b) => a.partition - b.partition)
    }))

    await producer.connect()
    const message = i => ({
      key: `k-${i % 4}`,
      value: `kafkajs-${String(i).padStart(4, '0')}-naïve-☃`,
      partition: i % partitions,
      headers: { seq: String(i), client: 'kafkajs' }
    })
    const half = Math.floor(count / 2)
    const sent = []
    for (const [from, to, compression] of [[0, half, CompressionTypes.GZIP], [half, count, CompressionTypes.None]]) {
      const messages = []
      for (let i = from; i < to; i++) messages.push(message(i))
      const acks = await producer.send({ topic, acks: -1, compression, messages })
      sent.push(...acks.map(a => ({ partition: a.partition, errorCode: a.errorCode, baseOffset: Number(a.baseOffset) })))
    }

    const offsets = (await admin.fetchTopicOffsets(topic))
      .map(o => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition)
    const byTimestamp = (await admin.fetchTopicOffsetsByTimestamp(topic, 0))
      .map(o => ({ partition: o.partition, offset: Number(o.offset) }))
      .sort((a, b) => a.partition - b.partition)

    return { created, createdAgain, listed, described, sent, offsets, byTimestamp }
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
})
