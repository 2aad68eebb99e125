'use strict'
// A KafkaJS 2.2.4 consumer-group member, driven by tests/Wharf.Compat.Tests (GroupConsumerTests).
// usage: node group_member.js BOOTSTRAP GROUP TOPIC
// Prints, one per line on stdout: "assigned P,P,..." after each join, and "msg PARTITION OFFSET VALUE" per record
// (offsets are committed by KafkaJS after each message is processed: at-least-once). Stops cleanly (commit,
// LeaveGroup) when stdin closes or on SIGTERM. Diagnostics go to stderr.
const { client } = require('./common')

async function run () {
  const [bootstrap, group, topic] = process.argv.slice(2)
  const consumer = client(bootstrap, 'kafkajs-member').consumer({
    groupId: group,
    sessionTimeout: 6000,
    rebalanceTimeout: 20000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200
  })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    try {
      await consumer.disconnect()
    } finally {
      process.exit(0)
    }
  }
  process.stdin.on('end', stop)
  process.stdin.resume()
  process.on('SIGTERM', stop)

  consumer.on(consumer.events.GROUP_JOIN, e => {
    const partitions = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
    process.stdout.write(`assigned ${partitions.join(',')}\n`)
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    autoCommit: true,
    eachMessage: async ({ partition, message }) => {
      process.stdout.write(`msg ${partition} ${message.offset} ${message.value.toString()}\n`)
    }
  })
}

run().catch(error => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
