// Deterministic read_committed check for one client's consumer.
//   node bench/clients/read-committed-check.mjs --client platformatic [--small-fetch-bytes 256]
//
// A neutral transactional producer (kafkajs) writes into a 1-partition topic, always with the
// same producer id:  C1 (commit) A1 (abort) C2 (commit) A2 (abort) C3 (commit), 50 records each.
// Then the client's read_committed consumer reads the topic
//   - with default fetch sizes (every batch and marker in one fetch response), and
//   - with tiny fetch sizes (one batch per response: aborted data and its abort marker come in
//     different responses).
// Expected: exactly the 150 committed records. Aborted records delivered are listed with offsets.
import kafkajs from 'kafkajs'
import { BROKER, benchName, createTopics, deleteGroups, deleteTopics, loadAdapter, log, parseArgs, randomSuffix } from './common.mjs'
import { indexRaw, readRawLog, summarizeRaw } from './rawlog.mjs'

const args = parseArgs()
const client = args.client
const smallFetch = Number(args['small-fetch-bytes'] ?? 256)
const adapter = await loadAdapter(client)
const suffix = randomSuffix()
const topic = benchName(`${client}-rc`, suffix)
const groups = []
const result = { client }

const hardStop = setTimeout(() => { log('hard timeout'); process.exit(2) }, 5 * 60 * 1000)
hardStop.unref()

try {
  await createTopics([topic], 1)
  const kafka = new kafkajs.Kafka({ clientId: 'bench-clients-rc', brokers: [BROKER], logLevel: kafkajs.logLevel.NOTHING })
  const producer = kafka.producer({ transactionalId: benchName('rc-tx', suffix), idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const plan = [['C1', 'commit'], ['A1', 'abort'], ['C2', 'commit'], ['A2', 'abort'], ['C3', 'commit']]
  for (const [tag, outcome] of plan) {
    const txn = await producer.transaction()
    await txn.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ key: 'k', value: `${tag}-${i}` })) })
    await (outcome === 'commit' ? txn.commit() : txn.abort())
  }
  await producer.disconnect()

  const raw = await readRawLog(topic)
  const byPos = indexRaw(raw)
  result.log = summarizeRaw(raw)
  result.log.layout = raw.partitions[0].txns.map(t => `${t.outcome} pid=${t.producerId} epoch=${t.producerEpoch} offsets ${t.firstOffset}-${t.lastOffset} marker@${t.markerOffset}`)

  for (const [label, maxBytes] of [['defaultFetch', undefined], ['smallFetch', smallFetch]]) {
    const group = benchName(`${client}-rcg`, randomSuffix())
    groups.push(group)
    const got = await adapter.readAll({ topic, group, idleMs: 3000, maxBytes })
    const aborted = got.filter(m => byPos.get(`${m.partition}:${m.offset}`)?.status === 'aborted')
    const tags = [...new Set(aborted.map(m => m.value.split('-')[0]))]
    result[label] = {
      maxBytes: maxBytes ?? 'default',
      delivered: got.length,
      committedDelivered: got.filter(m => byPos.get(`${m.partition}:${m.offset}`)?.status === 'committed').length,
      abortedDelivered: aborted.length,
      abortedTxnsLeaked: tags,
      abortedOffsets: aborted.length ? `${aborted[0].offset}..${aborted[aborted.length - 1].offset}` : null
    }
    log(`${client} ${label}: ${JSON.stringify(result[label])}`)
  }
} catch (error) {
  result.error = error.stack ?? String(error)
  log(`${client}: FAILED: ${result.error}`)
} finally {
  await deleteTopics([topic])
  await deleteGroups(groups)
}
process.stdout.write(JSON.stringify(result) + '\n')
process.exit(result.error ? 1 : 0)
