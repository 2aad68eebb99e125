'use strict'
// KafkaJS 2.2.4 transactions, driven by tests/Wharf.Compat.Tests (KafkaJsTests).
// usage: node transactions.js BOOTSTRAP TOPIC PARTITIONS TRANSACTIONS
// Creates TOPIC, then runs TRANSACTIONS transactions of 3 messages each through producer.transaction() (every third
// one aborted, the first one also commits offsets of group "js-txn-group" with sendOffsets), then reads TOPIC with a
// read_committed consumer (readUncommitted: false). Prints JSON: the committed and aborted values, what the consumer
// read, and the group's committed offsets.
const { client, main } = require('./common')

main(async () => {
  const [bootstrap, topic, partitionsArg, transactionsArg] = process.argv.slice(2)
  const partitions = Number(partitionsArg)
  const transactions = Number(transactionsArg)
  const kafka = client(bootstrap, 'kafkajs-txn')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })

  const producer = kafka.producer({ transactionalId: 'kafkajs-txn-1', idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const committed = []
  const aborted = []
  for (let t = 0; t < transactions; t++) {
    const abort = t % 3 === 2
    const txn = await producer.transaction()
    const messages = [0, 1, 2].map(i => ({ partition: i % partitions, value: `t${t}-m${i}` }))
    await txn.send({ topic, messages })
    if (t === 0) {
      await txn.sendOffsets({ consumerGroupId: 'js-txn-group', topics: [{ topic, partitions: [{ partition: 0, offset: '5' }] }] })
    }
    if (abort) {
      await txn.abort()
      aborted.push(...messages.map(m => m.value))
    } else {
      await txn.commit()
      committed.push(...messages.map(m => m.value))
    }
  }
  await producer.disconnect()

  const groupOffsets = await admin.fetchOffsets({ groupId: 'js-txn-group', topics: [topic] })
  await admin.disconnect()

  const consumer = kafka.consumer({ groupId: `js-txn-reader-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const read = []
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 20000)
    consumer.run({
      eachMessage: async ({ message }) => {
        read.push(message.value.toString())
        if (read.length >= committed.length) {
          // Wait a little for anything that should not be there (aborted records) before stopping.
          clearTimeout(timer)
          setTimeout(resolve, 1500)
        }
      }
    })
  })
  await consumer.disconnect()
  return {
    committed,
    aborted,
    read,
    groupOffsets: groupOffsets[0].partitions.map(p => ({ partition: p.partition, offset: Number(p.offset) })).sort((a, b) => a.partition - b.partition)
  }
})
