// Deterministic checks of three @platformatic/kafka producer behaviours found while
// benchmarking (version installed in the root node_modules).
//   node bench/clients/platformatic-checks.mjs
// 1. Restarting a transactional producer with an existing transactional.id (default options).
// 2. The same with beginTransaction({ producerId: -1n, producerEpoch: -1 }).
// 3. After a failed beginTransaction(), a new beginTransaction() on the same producer.
// 4. Concurrent send() calls on an idempotent producer (same partition).
// 5. Default partitioner vs. the Java client's (keys key-0..key-49 on 3 partitions).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compatibilityPartitioner, defaultPartitioner, Producer, stringSerializers } from '@platformatic/kafka'
import { BROKER, benchName, createTopics, deleteTopics, describeError, endOffsets, keyOf, randomSuffix } from './common.mjs'

// The package does not export ./package.json; read it next to the resolved entry point.
const entry = fileURLToPath(import.meta.resolve('@platformatic/kafka'))
const version = JSON.parse(readFileSync(entry.replace(/dist\/index\.js$/, 'package.json'), 'utf8')).version
const suffix = randomSuffix()
const topic = benchName('plt-checks', suffix)
const txId = benchName('plt-checks-tx', suffix)
const result = { version }

function txProducer () {
  return new Producer({
    clientId: 'bench-clients-plt-checks',
    bootstrapBrokers: [BROKER],
    idempotent: true,
    transactionalId: txId,
    retryDelay: 50,
    serializers: stringSerializers
  })
}

async function oneTransaction (label, beginOptions) {
  const p = txProducer()
  try {
    const tx = await p.beginTransaction(beginOptions)
    await tx.send({ messages: [{ topic, key: 'k', value: label }] })
    await tx.commit()
    return `ok (producerId ${p.producerId}, epoch ${p.producerEpoch})`
  } catch (error) {
    return `FAILED: ${describeError(error)}`
  } finally {
    await p.close().catch(() => {})
  }
}

const hardStop = setTimeout(() => process.exit(2), 120000)
hardStop.unref()

try {
  await createTopics([topic], 1)

  // 1 + 2
  result.firstProducerDefault = await oneTransaction('first')
  result.restartDefault = await oneTransaction('restart-default')
  result.restartWithMinusOne = await oneTransaction('restart-minus-one', { producerId: -1n, producerEpoch: -1 })

  // 3
  const p = txProducer()
  const first = await p.beginTransaction().then(() => 'ok', e => `FAILED: ${describeError(e)}`)
  const second = await p.beginTransaction({ producerId: -1n, producerEpoch: -1 }).then(() => 'ok', e => `FAILED: ${describeError(e)}`)
  result.beginAfterFailedBegin = { first, second }
  await p.close().catch(() => {})

  // 4
  const idem = new Producer({ clientId: 'bench-clients-plt-checks-idem', bootstrapBrokers: [BROKER], idempotent: true, serializers: stringSerializers })
  const concTopic = benchName('plt-checks-conc', suffix)
  await createTopics([concTopic], 1)
  await idem.initIdempotentProducer({})
  const batch = tag => Array.from({ length: 100 }, (_, i) => ({ topic: concTopic, key: 'k', value: `${tag}-${i}` }))
  const sends = await Promise.allSettled([idem.send({ messages: batch('a') }), idem.send({ messages: batch('b') }), idem.send({ messages: batch('c') })])
  const stored = Object.values(await endOffsets(concTopic)).reduce((a, b) => a + b, 0)
  result.concurrentIdempotentSends = {
    sent: 300,
    results: sends.map(s => s.status === 'fulfilled' ? `fulfilled, baseOffset ${s.value.offsets?.[0]?.offset}` : `rejected: ${describeError(s.reason)}`),
    recordsInTopic: stored
  }
  await idem.close().catch(() => {})
  await deleteTopics([concTopic])

  // 5. The producer takes the partitioner's number modulo the partition count.
  //    compatibilityPartitioner = murmur2 & 0x7fffffff, as Java's Utils.toPositive(murmur2(key)).
  let differ = 0
  for (let i = 0; i < 50; i++) {
    const key = Buffer.from(keyOf(i))
    if (defaultPartitioner(null, key) % 3 !== compatibilityPartitioner(null, key) % 3) differ++
  }
  result.defaultPartitionerVsJava = { partitions: 3, keys: 50, keysOnADifferentPartition: differ }
} catch (error) {
  result.error = error.stack ?? String(error)
} finally {
  await deleteTopics([topic])
}
console.log(JSON.stringify(result, (_k, v) => typeof v === 'bigint' ? String(v) : v, 2))
process.exit(result.error ? 1 : 0)
