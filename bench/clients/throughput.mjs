// One throughput run of one client: produce, consume (read_committed), exactly-once copy.
//   node bench/clients/throughput.mjs --client platformatic [--records 200000] [--eos-records 100000]
//        [--batch 1000] [--tx-batch 1000] [--only produce,consume,eos]
// Prints one JSON line with the figures on stdout. Creates and deletes its own topics.
import {
  benchName, checkExactlyOnce, createTopics, deleteGroups, deleteTopics, endOffsets, fillTopic, loadAdapter,
  log, makeRecords, parseArgs, randomSuffix, transformValue, withTimeout
} from './common.mjs'

const args = parseArgs()
const client = args.client
const records = Number(args.records ?? 200000)
const eosRecords = Number(args['eos-records'] ?? 100000)
const batchSize = Number(args.batch ?? 1000)
const txBatch = Number(args['tx-batch'] ?? 1000)
// Sends kept in flight by the producer test; only the librdkafka client may pipeline idempotent sends.
const inflight = Number(args.inflight ?? 1)
const only = new Set(String(args.only ?? 'produce,consume,eos').split(','))
const adapter = await loadAdapter(client)

const suffix = randomSuffix()
const dataTopic = benchName(`${client}-data`, suffix)
const eosIn = benchName(`${client}-eosin`, suffix)
const eosOut = benchName(`${client}-eosout`, suffix)
const groups = []
const result = { client, records, eosRecords, batchSize, txBatch, inflight }

const hardStop = setTimeout(() => { log('hard timeout, exiting'); process.exit(2) }, 15 * 60 * 1000)
hardStop.unref()

try {
  await createTopics([dataTopic, eosIn, eosOut])
  const data = makeRecords(records)

  if (only.has('produce') || only.has('consume')) {
    log(`${client}: producing ${records} records to ${dataTopic}`)
    const p = await withTimeout(adapter.produce({ topic: dataTopic, records: data, batchSize, inflight }), 300000, 'produce')
    const offs = await endOffsets(dataTopic)
    const total = Object.values(offs).reduce((a, b) => a + b, 0)
    if (total !== records) throw new Error(`produce: topic holds ${total} records, expected ${records}`)
    result.produce = { ms: Math.round(p.ms), rps: Math.round(records / (p.ms / 1000)) }
    log(`${client}: produce ${result.produce.rps} records/s`)
  }

  if (only.has('consume')) {
    const group = benchName(`${client}-cg`, suffix)
    groups.push(group)
    const c = await adapter.consume({ topic: dataTopic, group, expected: records })
    result.consume = { ms: Math.round(c.ms), rps: Math.round(c.count / (c.ms / 1000)), joinMs: Math.round(c.joinMs) }
    log(`${client}: consume ${result.consume.rps} records/s (group join + first fetch ${result.consume.joinMs} ms)`)
  }

  if (only.has('eos')) {
    await fillTopic(eosIn, data.slice(0, eosRecords))
    const ends = await endOffsets(eosIn)
    const group = benchName(`${client}-eosg`, suffix)
    groups.push(group)
    const e = await adapter.eosCopy({
      input: eosIn,
      output: eosOut,
      group,
      txId: benchName(`${client}-tx`, suffix),
      txBatch,
      endOffsets: ends,
      transform: transformValue
    })
    result.eos = { ms: Math.round(e.ms), rps: Math.round(e.count / (e.ms / 1000)), txns: e.txns }
    log(`${client}: eos copy ${result.eos.rps} records/s in ${e.txns} transactions`)
    // Sanity check of the copy with the same client's read_committed consumer.
    const vgroup = benchName(`${client}-verify`, suffix)
    groups.push(vgroup)
    const out = await adapter.readAll({ topic: eosOut, group: vgroup, idleMs: 3000 })
    const seqs = out.map(m => JSON.parse(m.value).seq)
    const check = checkExactlyOnce(seqs, eosRecords)
    result.eos.check = { received: check.received, missing: check.missing, duplicates: check.duplicates }
    log(`${client}: eos output check ${JSON.stringify(result.eos.check)}`)
  }
} catch (error) {
  result.error = error.stack ?? String(error)
  log(`${client}: FAILED: ${result.error}`)
} finally {
  await deleteTopics([dataTopic, eosIn, eosOut])
  await deleteGroups(groups)
}

process.stdout.write(JSON.stringify(result) + '\n')
process.exit(result.error ? 1 : 0)
