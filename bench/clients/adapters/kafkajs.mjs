// kafkajs 2.2.x (pure JS) adapter.
import kafkajs from 'kafkajs'
import { BROKER, committedOffsets, log, retry, withTimeout } from '../common.mjs'

const { Kafka, logLevel, Partitioners } = kafkajs
const name = 'kafkajs'

function kafka (clientId) {
  return new Kafka({
    clientId,
    brokers: [BROKER],
    logLevel: logLevel.NOTHING,
    // initialRetryTime defaults to 300 ms; transactional calls answered CONCURRENT_TRANSACTIONS
    // right after a commit would otherwise stall each transaction.
    retry: { initialRetryTime: 50, retries: 10 }
  })
}

function consumerOptions (group, extra = {}) {
  return {
    groupId: group,
    readUncommitted: false,
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 20000,
    maxWaitTimeInMs: 500,
    ...extra
  }
}

async function produce ({ topic, records, batchSize = 1000, inflight = 1 }) {
  // Idempotent sends must be awaited one by one with this client (one request in flight).
  if (inflight > 1) throw new Error(`${name}: --inflight > 1 is not supported`)
  const producer = kafka(`${topic}-p`).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner
  })
  await producer.connect()
  try {
    const start = performance.now()
    for (let i = 0; i < records.length; i += batchSize) {
      const messages = []
      const end = Math.min(i + batchSize, records.length)
      for (let j = i; j < end; j++) messages.push({ key: records[j].key, value: records[j].value })
      await producer.send({ topic, acks: -1, messages })
    }
    return { count: records.length, ms: performance.now() - start }
  } finally {
    await producer.disconnect()
  }
}

async function consume ({ topic, group, expected, timeoutMs = 120000 }) {
  const consumer = kafka(`${group}-c`).consumer(consumerOptions(group))
  const t0 = performance.now()
  let joined = 0
  let last = 0
  let count = 0
  // Timed from the (last) group join to the last record, like the other adapters.
  consumer.on(consumer.events.GROUP_JOIN, () => { joined = performance.now() })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await withTimeout(new Promise((resolve, reject) => {
      consumer.on(consumer.events.CRASH, e => reject(e.payload.error))
      consumer.run({
        autoCommit: false,
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
  const extra = maxBytes ? { maxBytes, maxBytesPerPartition: maxBytes } : {}
  const consumer = kafka(`${group}-c`).consumer(consumerOptions(group, extra))
  const out = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    let lastAt = 0
    await consumer.run({
      autoCommit: false,
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
  // connect() of a transactional producer runs InitProducerId, which fences the previous
  // incarnation and completes its open transaction before we read committed offsets.
  await retry(async () => {
    producer = client.producer({
      transactionalId: txId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: txTimeoutMs,
      createPartitioner: Partitioners.DefaultPartitioner
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
  const consumer = client.consumer(consumerOptions(group))
  let joined = 0
  consumer.on(consumer.events.GROUP_JOIN, () => { joined = performance.now() })
  let records = 0
  let txns = 0
  let first = 0
  try {
    if (done()) return { count: 0, txns: 0, ms: 0 }
    await consumer.connect()
    await consumer.subscribe({ topic: input, fromBeginning: true })
    onReady?.()
    await withTimeout(new Promise((resolve, reject) => {
      consumer.on(consumer.events.CRASH, e => reject(e.payload.error))
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (first === 0 && batch.messages.length) first = performance.now()
          for (let i = 0; i < batch.messages.length; i += txBatch) {
            if (!isRunning() || isStale()) return
            const chunk = batch.messages.slice(i, i + txBatch)
            const lastOffset = chunk[chunk.length - 1].offset
            const txn = await producer.transaction()
            try {
              await txn.send({
                topic: output,
                acks: -1,
                messages: chunk.map(m => ({ key: m.key, value: transform(m.value.toString()) }))
              })
              await txn.sendOffsets({
                consumerGroupId: group,
                topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(BigInt(lastOffset) + 1n) }] }]
              })
              await txn.commit()
            } catch (error) {
              log(`${name} transaction failed: ${error.message}; aborting`)
              await txn.abort().catch(() => {})
              throw error
            }
            resolveOffset(lastOffset)
            committed[batch.partition] = Number(lastOffset) + 1
            records += chunk.length
            txns++
            onCommit?.(records, txns)
            await heartbeat()
          }
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
