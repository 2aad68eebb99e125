'use strict'
// Shared KafkaJS setup for the compat scripts: quiet logs (errors only, on stderr, so stdout stays pure JSON).
const { Kafka, logLevel } = require('kafkajs')

function client (bootstrap, clientId) {
  return new Kafka({
    clientId,
    brokers: bootstrap.split(','),
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 3, initialRetryTime: 100 },
    logLevel: logLevel.ERROR,
    logCreator: () => ({ namespace, log }) => {
      process.stderr.write(`[kafkajs ${namespace}] ${log.message} ${JSON.stringify(log)}\n`)
    }
  })
}

async function main (body) {
  try {
    const result = await body()
    process.stdout.write(JSON.stringify(result) + '\n')
  } catch (error) {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`)
    if (error && error.cause) process.stderr.write(`cause: ${error.cause.stack || error.cause}\n`)
    process.exitCode = 1
  }
}

module.exports = { client, main }
