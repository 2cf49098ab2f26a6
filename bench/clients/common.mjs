// Shared helpers for the client benchmarks: names, data, topic management, timing.
// Topic administration and the neutral "filler" producer use kafkajs (root node_modules),
// so every client under test reads exactly the same input.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import kafkajs from 'kafkajs'

const { Kafka, logLevel, Partitioners } = kafkajs

export const BROKER = process.env.KAFKA_BROKER ?? '127.0.0.1:9092'
export const PARTITIONS = 4
export const KEY_COUNT = 50
export const VALUE_BYTES = 100
export const CLIENTS = ['platformatic', 'kafkajs', 'confluent']

export { sleep }

export function randomSuffix () {
  return randomBytes(4).toString('hex')
}

/** A topic or group name owned by these benchmarks. */
export function benchName (kind, suffix = randomSuffix()) {
  return `bench-clients-${kind}-${suffix}`
}

export function keyOf (i) {
  return `key-${i % KEY_COUNT}`
}

/** A value of exactly VALUE_BYTES ASCII bytes carrying its sequence number. */
export function valueOf (i) {
  const head = `{"seq":${i},"pad":"`
  const tail = '"}'
  return head + 'x'.repeat(VALUE_BYTES - head.length - tail.length) + tail
}

/** Pre-built records so that data generation is not part of any timing. */
export function makeRecords (n) {
  const out = new Array(n)
  for (let i = 0; i < n; i++) out[i] = { key: keyOf(i), value: valueOf(i) }
  return out
}

/** The transform of the copy loops: cheap but real work on every record. */
export function transformValue (value) {
  return value.replace('"pad"', '"cpy"')
}

export function median (values) {
  const v = values.filter(x => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

export function withTimeout (promise, ms, what) {
  let timer
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)
    timer.unref?.()
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Retry an async operation a bounded number of times. */
export async function retry (fn, { attempts = 10, delayMs = 1000, what = 'operation' } = {}) {
  let last
  for (let i = 1; i <= attempts; i++) {
    try {
      return await fn(i)
    } catch (error) {
      last = error
      log(`${what}: attempt ${i}/${attempts} failed: ${describeError(error)}`)
      await sleep(delayMs)
    }
  }
  throw last
}

/** Error message including nested errors (AggregateError-like `errors` and `cause`). */
export function describeError (error, depth = 0) {
  if (!error || depth > 4) return String(error)
  let s = error.message ?? String(error)
  if (error.apiCode !== undefined || error.apiId !== undefined) s += ` [${error.apiId ?? ''} ${error.apiCode ?? ''}]`
  if (error.code !== undefined && typeof error.code !== 'object') s += ` (code ${error.code})`
  const nested = [...(Array.isArray(error.errors) ? error.errors : []), ...(error.cause ? [error.cause] : [])]
  if (nested.length) s += ' <- ' + nested.map(e => describeError(e, depth + 1)).join(' | ')
  return s
}

export function log (...args) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${args.join(' ')}\n`)
}

export function parseArgs (argv = process.argv.slice(2)) {
  const args = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) continue
    const eq = a.indexOf('=')
    if (eq > 0) {
      args[a.slice(2, eq)] = a.slice(eq + 1)
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      args[a.slice(2)] = argv[++i]
    } else {
      args[a.slice(2)] = true
    }
  }
  return args
}

let kafka
function neutralKafka () {
  kafka ??= new Kafka({ clientId: 'bench-clients-admin', brokers: [BROKER], logLevel: logLevel.ERROR })
  return kafka
}

export async function createTopics (topics, partitions = PARTITIONS) {
  const admin = neutralKafka().admin()
  await admin.connect()
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map(topic => ({ topic, numPartitions: partitions, replicationFactor: 1 }))
    })
  } finally {
    await admin.disconnect()
  }
}

export async function deleteTopics (topics) {
  const admin = neutralKafka().admin()
  await admin.connect()
  try {
    await admin.deleteTopics({ topics, timeout: 30000 })
  } catch (error) {
    log(`deleteTopics(${topics.join(',')}) failed: ${error.message}`)
  } finally {
    await admin.disconnect()
  }
}

/** Delete consumer groups; failures (e.g. group still has members) are only logged. */
export async function deleteGroups (groups) {
  const admin = neutralKafka().admin()
  await admin.connect()
  try {
    await admin.deleteGroups(groups)
  } catch (error) {
    log(`deleteGroups(${groups.join(',')}) failed: ${error.message}`)
  } finally {
    await admin.disconnect()
  }
}

/** partition -> high watermark (log end offset) */
export async function endOffsets (topic) {
  const admin = neutralKafka().admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    const out = {}
    for (const { partition, high } of offsets) out[partition] = Number(high)
    return out
  } finally {
    await admin.disconnect()
  }
}

/** partition -> committed offset of a group (0 when nothing is committed) */
export async function committedOffsets (groupId, topic) {
  const admin = neutralKafka().admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    const out = {}
    for (const { partition, offset } of entry?.partitions ?? []) out[partition] = Math.max(0, Number(offset))
    return out
  } finally {
    await admin.disconnect()
  }
}

/** Fill a topic with a neutral idempotent (non-transactional) producer. */
export async function fillTopic (topic, records, batchSize = 1000) {
  const producer = neutralKafka().producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner
  })
  await producer.connect()
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + batchSize) })
    }
  } finally {
    await producer.disconnect()
  }
}

export async function loadAdapter (client) {
  if (!CLIENTS.includes(client)) throw new Error(`unknown client ${client}; one of ${CLIENTS.join(', ')}`)
  const mod = await import(`./adapters/${client}.mjs`)
  return mod.default
}

/**
 * Count how often each sequence number appears in a list of values.
 * Returns { missing, duplicates, extra, dupSeqs } for sequence numbers 0..expected-1.
 */
export function checkExactlyOnce (seqs, expected) {
  const counts = new Uint32Array(expected)
  let extra = 0
  for (const s of seqs) {
    if (Number.isInteger(s) && s >= 0 && s < expected) counts[s]++
    else extra++
  }
  let missing = 0
  let duplicates = 0
  const dupSeqs = []
  const missingSeqs = []
  for (let i = 0; i < expected; i++) {
    if (counts[i] === 0) { missing++; if (missingSeqs.length < 20) missingSeqs.push(i) }
    if (counts[i] > 1) { duplicates += counts[i] - 1; if (dupSeqs.length < 20) dupSeqs.push(i) }
  }
  return { received: seqs.length, missing, duplicates, extra, missingSeqs, dupSeqs }
}
