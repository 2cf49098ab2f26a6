// @platformatic/kafka (pure JS) adapter.
import {
  Consumer,
  FetchIsolationLevels,
  Producer,
  stringDeserializers,
  stringSerializers
} from '@platformatic/kafka'
import { BROKER, committedOffsets, log, retry, withTimeout } from '../common.mjs'
import { batcher } from './batcher.mjs'

const name = 'platformatic'

function consumerOptions (group, extra = {}) {
  return {
    clientId: `${group}-c`,
    groupId: group,
    bootstrapBrokers: [BROKER],
    deserializers: stringDeserializers,
    autocommit: false,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 20000,
    maxWaitTime: 500,
    ...extra
  }
}

async function openStream (consumer, topic, extra = {}) {
  return consumer.consume({
    topics: [topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
    ...extra
  })
}

async function produce ({ topic, records, batchSize = 1000, inflight = 1 }) {
  // Idempotent sends must be awaited one by one with this client (one request in flight).
  if (inflight > 1) throw new Error(`${name}: --inflight > 1 is not supported`)
  const producer = new Producer({
    clientId: `${topic}-p`,
    bootstrapBrokers: [BROKER],
    idempotent: true,
    serializers: stringSerializers
  })
  try {
    // Initialise the producer id outside the timing, like connect() of the other clients.
    await producer.initIdempotentProducer({})
    const start = performance.now()
    for (let i = 0; i < records.length; i += batchSize) {
      const messages = []
      const end = Math.min(i + batchSize, records.length)
      for (let j = i; j < end; j++) messages.push({ topic, key: records[j].key, value: records[j].value })
      await producer.send({ messages })
    }
    return { count: records.length, ms: performance.now() - start }
  } finally {
    await producer.close()
  }
}

async function consume ({ topic, group, expected, timeoutMs = 120000 }) {
  const consumer = new Consumer(consumerOptions(group))
  const t0 = performance.now()
  let joined = 0
  let last = 0
  let count = 0
  // Throughput is timed from the (last) group join to the last record: it includes the first
  // fetch but not the group protocol.
  consumer.on('consumer:group:join', () => { joined = performance.now() })
  const stream = await openStream(consumer, topic)
  try {
    await withTimeout(new Promise((resolve, reject) => {
      stream.on('error', reject)
      stream.on('data', () => {
        if (++count === expected) { last = performance.now(); resolve() }
      })
    }), timeoutMs, `${name} consume`)
  } finally {
    await stream.close().catch(() => {})
    await consumer.close(true).catch(() => {})
  }
  return { count, ms: last - joined, joinMs: joined - t0 }
}

/**
 * Read a whole topic with read_committed; stops after `idleMs` without records.
 * Returns [{ partition, offset, key, value }].
 */
async function readAll ({ topic, group, idleMs = 4000, timeoutMs = 120000, maxBytes }) {
  const extra = maxBytes ? { maxBytes, maxBytesPerPartition: maxBytes } : {}
  const consumer = new Consumer(consumerOptions(group, extra))
  const out = []
  const stream = await openStream(consumer, topic, extra)
  const deadline = Date.now() + timeoutMs
  try {
    const next = batcher(stream)
    let seenAny = false
    while (Date.now() < deadline) {
      const batch = await next(5000, 50, seenAny ? idleMs : Math.min(30000, timeoutMs))
      if (batch === null || batch.length === 0) break
      seenAny = true
      for (const m of batch) out.push({ partition: m.partition, offset: Number(m.offset), key: m.key, value: m.value })
    }
  } finally {
    await stream.close().catch(() => {})
    await consumer.close(true).catch(() => {})
  }
  return out
}

/**
 * Transactional consume -> transform -> produce loop.
 * endOffsets: { partition: highWatermark } of the input; the loop stops when the
 * offsets committed in transactions reach them. onCommit(records, txns) after each commit.
 */
async function eosCopy ({ input, output, group, txId, txBatch = 1000, lingerMs = 20, endOffsets, transform, onCommit, onReady, timeoutMs = 300000, txTimeoutMs = 10000 }) {
  let producer
  // Fence any previous incarnation (and let the coordinator finish its open transaction)
  // before the consumer reads the committed offsets. beginTransaction() runs InitProducerId
  // the first time; a failed beginTransaction() leaves the producer with a dangling
  // transaction ("There is already an active transaction."), so each attempt uses a new producer.
  //
  // By default 1.35.0 sends InitProducerId with producerId 0 / epoch 0 instead of -1 / -1, which
  // the coordinator reads as "bump the epoch of producer 0": as soon as the transactional.id
  // already exists (any restart), the answer is PRODUCER_FENCED, forever. Passing -1/-1 makes it
  // behave like the Java client. BENCH_PLT_DEFAULT_INIT=1 turns the workaround off.
  const initOptions = process.env.BENCH_PLT_DEFAULT_INIT === '1' ? {} : { producerId: -1n, producerEpoch: -1 }
  await retry(async () => {
    producer = new Producer({
      clientId: `${txId}-p`,
      bootstrapBrokers: [BROKER],
      idempotent: true,
      transactionalId: txId,
      // @platformatic/kafka sends its client `timeout` as the transaction timeout in InitProducerId.
      timeout: txTimeoutMs,
      // The default retryDelay is 1000 ms; AddPartitionsToTxn right after a commit is answered
      // CONCURRENT_TRANSACTIONS until the markers are written, so a long delay stalls every transaction.
      retryDelay: 50,
      serializers: stringSerializers
    })
    try {
      const tx = await producer.beginTransaction(initOptions)
      await tx.cancel()
    } catch (error) {
      await producer.close().catch(() => {})
      throw error
    }
  }, { attempts: 30, delayMs: 500, what: `${name} init transactions` })

  const committed = await committedOffsets(group, input)
  const consumer = new Consumer(consumerOptions(group))
  let joined = 0
  consumer.on('consumer:group:join', () => { joined = performance.now() })
  const stream = await openStream(consumer, input)
  onReady?.()
  const next = batcher(stream)
  const done = () => Object.keys(endOffsets).every(p => (committed[p] ?? 0) >= endOffsets[p])
  let records = 0
  let txns = 0
  let first = 0
  const deadline = Date.now() + timeoutMs
  try {
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${name} eosCopy timed out with ${records} records copied`)
      const batch = await next(txBatch, lingerMs, 2000)
      if (batch === null) throw new Error('consumer stream ended')
      if (batch.length === 0) continue
      if (first === 0) first = performance.now()
      const lastPerPartition = new Map()
      const messages = new Array(batch.length)
      for (let i = 0; i < batch.length; i++) {
        const m = batch[i]
        messages[i] = { topic: output, key: m.key, value: transform(m.value) }
        lastPerPartition.set(m.partition, m)
      }
      const tx = await producer.beginTransaction()
      try {
        await tx.send({ messages })
        await tx.addConsumer(consumer)
        for (const m of lastPerPartition.values()) await tx.addOffset(m)
        await tx.commit()
      } catch (error) {
        log(`${name} transaction failed: ${error.message}; aborting`)
        await tx.abort().catch(() => {})
        throw error
      }
      for (const [p, m] of lastPerPartition) committed[p] = Number(m.offset) + 1
      records += batch.length
      txns++
      onCommit?.(records, txns)
    }
    return { count: records, txns, ms: performance.now() - (joined || first) }
  } finally {
    await stream.close().catch(() => {})
    await consumer.close(true).catch(() => {})
    await producer.close().catch(() => {})
  }
}

export default { name, produce, consume, readAll, eosCopy }
