'use strict'
// KafkaJS 2.2.4 admin deleteTopics against a Wharf broker, driven by tests/Wharf.Compat.Tests.
//
// usage: node delete.js BOOTSTRAP TOPIC
//
// Deletes TOPIC, then lists topics. Prints {"listedBefore", "listedAfter"} on stdout.
const { client, main } = require('./common')

const [bootstrap, topic] = process.argv.slice(2)

main(async () => {
  const admin = client(bootstrap, 'wharf-compat-kafkajs-admin').admin()
  await admin.connect()
  try {
    const listedBefore = (await admin.listTopics()).includes(topic)
    await admin.deleteTopics({ topics: [topic], timeout: 10000 })
    const listedAfter = (await admin.listTopics()).includes(topic)
    return { listedBefore, listedAfter }
  } finally {
    await admin.disconnect()
  }
})
