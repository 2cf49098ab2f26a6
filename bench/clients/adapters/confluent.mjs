// @confluentinc/kafka-javascript (librdkafka binding) adapter, through its KafkaJS-compatible API.
// Installed in bench/clients/node_modules (see README.md).
import confluent from '@confluentinc/kafka-javascript'
import { BROKER, committedOffsets, log, retry, withTimeout } from '../common.mjs'

const { Kafka, logLevel } = confluent.KafkaJS
const name = 'confluent'

function kafka (clientId) {
  return new Kafka({ kafkaJS: { clientId, brokers: [BROKER], logLevel: logLevel.ERROR } })
}

const ASSIGN = -175 // RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS

function consumerConfig (group, { maxBatch = -1, onAssign, maxBytes } = {}) {
  const config = {
    kafkaJS: {
      groupId: group,
      fromBeginning: true,
      autoCommit: false,
      readUncommitted: false,
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20000,
      maxWaitTimeInMs: 500
    },
    'js.consumer.max.batch.size': maxBatch,
    rebalance_cb: (err) => { if (err.code === ASSIGN) onAssign?.() }
  }
  if (maxBytes) {
    // librdkafka keeps fetch.max.bytes >= message.max.bytes; the per-partition limit is the one
    // that makes the broker answer with (at least) one batch per partition per fetch.
    config['max.partition.fetch.bytes'] = maxBytes
    config['fetch.max.bytes'] = Math.max(maxBytes, 1000 + 512)
    config['message.max.bytes'] = 1000
  }
  return config
}

async function produce ({ topic, records, batchSize = 1000, inflight = 1 }) {
  const producer = kafka(`${topic}-p`).producer({ kafkaJS: { idempotent: true, acks: -1 } })
  await producer.connect()
  try {
    const start = performance.now()
    const pending = new Set()
    for (let i = 0; i < records.length; i += batchSize) {
      const messages = []
      const end = Math.min(i + batchSize, records.length)
      for (let j = i; j < end; j++) messages.push({ key: records[j].key, value: records[j].value })
      const p = producer.send({ topic, messages })
      if (inflight <= 1) {
        await p
      } else {
        pending.add(p)
        p.finally(() => pending.delete(p))
        if (pending.size >= inflight) await Promise.race(pending)
      }
    }
    await Promise.all(pending)
    return { count: records.length, ms: performance.now() - start }
  } finally {
    await producer.disconnect()
  }
}

async function consume ({ topic, group, expected, timeoutMs = 120000 }) {
  const t0 = performance.now()
  let joined = 0
  let last = 0
  let count = 0
  const consumer = kafka(`${group}-c`).consumer(consumerConfig(group, { onAssign: () => { joined = performance.now() } }))
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic] })
    await withTimeout(new Promise((resolve, reject) => {
      consumer.run({
        eachBatch: async ({ batch }) => {
          count += batch.messages.length
          if (count >= expected && last === 0) { last = performance.now(); resolve() }
        }
      }).catch(reject)
    }), timeoutMs, `${name} consume`)
  } finally {
    await consumer.disconnect().catch(() => {})
  }
  return { count, ms: last - joined, joinMs: joined - t0 }
}

async function readAll ({ topic, group, idleMs = 4000, timeoutMs = 120000, maxBytes }) {
  const consumer = kafka(`${group}-c`).consumer(consumerConfig(group, { maxBytes }))
  const out = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic] })
    let lastAt = 0
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          out.push({ partition: batch.partition, offset: Number(m.offset), key: m.key?.toString(), value: m.value?.toString() })
        }
        if (batch.messages.length) lastAt = Date.now()
      }
    })
    const deadline = Date.now() + timeoutMs
    const firstDeadline = Date.now() + Math.min(30000, timeoutMs)
    while (Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 200))
      if (lastAt === 0 ? Date.now() > firstDeadline : Date.now() - lastAt > idleMs) break
    }
  } finally {
    await consumer.disconnect().catch(() => {})
  }
  return out
}

async function eosCopy ({ input, output, group, txId, txBatch = 1000, endOffsets, transform, onCommit, onReady, timeoutMs = 300000, txTimeoutMs = 10000 }) {
  const client = kafka(txId)
  let producer
  // connect() runs initTransactions(): fences the previous incarnation and completes its
  // open transaction before the committed offsets are read.
  await retry(async () => {
    producer = client.producer({
      kafkaJS: { transactionalId: txId, idempotent: true, acks: -1, transactionTimeout: txTimeoutMs }
    })
    try {
      await producer.connect()
    } catch (error) {
      await producer.disconnect().catch(() => {})
      throw error
    }
  }, { attempts: 30, delayMs: 500, what: `${name} init transactions` })

  const committed = await committedOffsets(group, input)
  const done = () => Object.keys(endOffsets).every(p => (committed[p] ?? 0) >= endOffsets[p])
  let joined = 0
  const consumer = client.consumer(consumerConfig(group, { maxBatch: txBatch, onAssign: () => { joined ||= performance.now() } }))
  let records = 0
  let txns = 0
  let first = 0
  try {
    if (done()) return { count: 0, txns: 0, ms: 0 }
    await consumer.connect()
    await consumer.subscribe({ topics: [input] })
    onReady?.()
    await withTimeout(new Promise((resolve, reject) => {
      consumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return
          if (first === 0) first = performance.now()
          const msgs = batch.messages
          const lastOffset = msgs[msgs.length - 1].offset
          const txn = await producer.transaction()
          try {
            await txn.send({
              topic: output,
              messages: msgs.map(m => ({ key: m.key, value: transform(m.value.toString()) }))
            })
            await txn.sendOffsets({
              consumer,
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(BigInt(lastOffset) + 1n) }] }]
            })
            await txn.commit()
          } catch (error) {
            log(`${name} transaction failed: ${error.message}; aborting`)
            await txn.abort().catch(() => {})
            reject(error)
            return
          }
          resolveOffset(lastOffset)
          committed[batch.partition] = Number(lastOffset) + 1
          records += msgs.length
          txns++
          onCommit?.(records, txns)
          if (done()) resolve()
        }
      }).catch(reject)
    }), timeoutMs, `${name} eosCopy`)
    return { count: records, txns, ms: performance.now() - (joined || first) }
  } finally {
    await consumer.disconnect().catch(() => {})
    await producer.disconnect().catch(() => {})
  }
}

export default { name, produce, consume, readAll, eosCopy }
