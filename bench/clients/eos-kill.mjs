// Exactly-once under SIGKILL for one client.
//   node bench/clients/eos-kill.mjs --client platformatic [--records 20000] [--kills 5]
//        [--tx-batch 100] [--max-delay-ms 500] [--small-fetch-bytes 256] [--keep]
//
// 1. Input topic (4 partitions) gets `records` records, value = sequence number.
// 2. A child (eos-child.mjs) copies input -> output in transactions (fixed transactional.id,
//    transaction timeout 10 s, consumed offsets committed inside each transaction).
//    `kills` times the parent waits for the child's first committed transaction, then a random
//    0..max-delay-ms, then SIGKILLs it and starts a new one. The last child runs to the end.
// 3. Verification:
//    a. ground truth from the raw log (read_uncommitted + replay of transaction markers):
//       every sequence number must appear exactly once among committed records;
//    b. the client's own read_committed consumer (default fetch sizes);
//    c. the same consumer with tiny fetch sizes, so that aborted data and its abort marker
//       land in different fetch responses.
//    Duplicates seen by a consumer are classified against the raw log (aborted vs committed
//    records, producer id/epoch, offsets).
// Prints one JSON line on stdout.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  benchName, checkExactlyOnce, createTopics, deleteGroups, deleteTopics, endOffsets, fillTopic, keyOf,
  loadAdapter, log, parseArgs, randomSuffix, sleep
} from './common.mjs'
import { indexRaw, readRawLog, summarizeRaw } from './rawlog.mjs'

const args = parseArgs()
const client = args.client
const records = Number(args.records ?? 20000)
const kills = Number(args.kills ?? 5)
const txBatch = Number(args['tx-batch'] ?? 100)
const maxDelayMs = Number(args['max-delay-ms'] ?? 500)
const smallFetch = Number(args['small-fetch-bytes'] ?? 256)
const adapter = await loadAdapter(client)
const childPath = fileURLToPath(new URL('./eos-child.mjs', import.meta.url))

const suffix = randomSuffix()
const input = benchName(`${client}-killin`, suffix)
const output = benchName(`${client}-killout`, suffix)
const group = benchName(`${client}-killg`, suffix)
const txid = benchName(`${client}-killtx`, suffix)
const groups = [group]

const hardStop = setTimeout(() => { log('eos-kill: hard timeout, exiting'); process.exit(2) }, 20 * 60 * 1000)
hardStop.unref()

function startChild (ends) {
  const child = spawn(process.execPath, [childPath,
    '--client', client, '--input', input, '--output', output, '--group', group, '--txid', txid,
    '--ends', JSON.stringify(ends), '--tx-batch', String(txBatch)
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  const state = { child, commits: 0, records: 0, done: false, ready: false, exit: null }
  state.exited = new Promise(resolve => child.on('exit', (code, signal) => { state.exit = { code, signal }; resolve(state.exit) }))
  state.firstCommit = new Promise(resolve => {
    createInterface({ input: child.stdout }).on('line', line => {
      const [what, n, t] = line.split(' ')
      if (what === 'ready') state.ready = true
      if (what === 'commit' || what === 'done') {
        state.records = Number(n)
        state.commits = Number(t)
        resolve()
      }
      if (what === 'done') state.done = true
    })
    child.on('exit', resolve)
  })
  return state
}

function withDeadline (promise, ms) {
  return Promise.race([promise, sleep(ms).then(() => 'timeout')])
}

function classify (delivered, byPos, expected) {
  const seqs = delivered.map(m => Number(m.value))
  const check = checkExactlyOnce(seqs, expected)
  // Classify every delivered record against the raw log.
  const fromAborted = []
  const notInLog = []
  let fromCommitted = 0
  for (const m of delivered) {
    const r = byPos.get(`${m.partition}:${m.offset}`)
    if (!r) notInLog.push(m)
    else if (r.status === 'aborted') fromAborted.push(r)
    else fromCommitted++
  }
  // Delivered twice at the same position (consumer re-delivery) vs distinct positions.
  const positions = new Set(delivered.map(m => `${m.partition}:${m.offset}`))
  const byTxn = new Map()
  for (const r of fromAborted) {
    const k = `p${r.partition} pid=${r.producerId} epoch=${r.producerEpoch}`
    const e = byTxn.get(k) ?? { partition: r.partition, producerId: r.producerId, producerEpoch: r.producerEpoch, count: 0, firstOffset: r.offset, lastOffset: r.offset }
    e.count++
    e.firstOffset = Math.min(e.firstOffset, r.offset)
    e.lastOffset = Math.max(e.lastOffset, r.offset)
    byTxn.set(k, e)
  }
  return {
    ...check,
    samePositionRedeliveries: delivered.length - positions.size,
    deliveredFromCommitted: fromCommitted,
    deliveredFromAborted: fromAborted.length,
    deliveredNotInLog: notInLog.length,
    abortedRangesDelivered: [...byTxn.values()]
  }
}

const result = { client, records, kills, txBatch, maxDelayMs, topics: { input, output }, killsDone: [] }
try {
  await createTopics([input, output])
  const data = []
  for (let i = 0; i < records; i++) data.push({ key: keyOf(i), value: String(i) })
  await fillTopic(input, data)
  const ends = await endOffsets(input)

  for (let k = 1; k <= kills; k++) {
    const state = startChild(ends)
    const t0 = Date.now()
    const r = await withDeadline(state.firstCommit, 90000)
    if (r === 'timeout') throw new Error(`child ${k} made no progress within 90 s`)
    if (state.exit) {
      result.killsDone.push({ kill: k, note: `child exited before the kill: ${JSON.stringify(state.exit)}` })
      if (state.done) break
      continue
    }
    const delay = Math.floor(Math.random() * maxDelayMs)
    await sleep(delay)
    const before = { records: state.records, commits: state.commits, done: state.done }
    state.child.kill('SIGKILL')
    await state.exited
    result.killsDone.push({ kill: k, msAfterStart: Date.now() - t0, msAfterFirstCommit: delay, recordsCommittedByThisChild: before.records, txnsByThisChild: before.commits, exit: state.exit, finishedBeforeKill: before.done })
    log(`${client}: kill ${k}: SIGKILL ${delay} ms after the first commit; this child had committed ${before.records} records in ${before.commits} transactions`)
  }

  const last = startChild(ends)
  const r = await withDeadline(last.exited, 240000)
  if (r === 'timeout') { last.child.kill('SIGKILL'); throw new Error('final child did not finish within 240 s') }
  if (last.exit.code !== 0) throw new Error(`final child failed: ${JSON.stringify(last.exit)}`)
  result.finalChild = { records: last.records, txns: last.commits }
  log(`${client}: final child finished (${last.records} records in ${last.commits} transactions)`)

  // a. ground truth
  const raw = await readRawLog(output)
  const summary = summarizeRaw(raw)
  const committedSeqs = []
  for (const { records: recs } of Object.values(raw.partitions)) {
    for (const rec of recs) if (rec.status === 'committed' || rec.status === 'plain') committedSeqs.push(Number(rec.value))
  }
  const truth = checkExactlyOnce(committedSeqs, records)
  result.rawLog = { ...summary, check: truth }
  log(`${client}: raw log: ${JSON.stringify({ ...summary, abortedTxnList: undefined })}; committed-record check ${JSON.stringify(truth)}`)
  const byPos = indexRaw(raw)

  // b. the client's own read_committed consumer
  const g1 = benchName(`${client}-killv1`, suffix)
  groups.push(g1)
  const delivered = await adapter.readAll({ topic: output, group: g1, idleMs: 4000 })
  result.consumerDefault = classify(delivered, byPos, records)
  log(`${client}: read_committed consumer (default fetch sizes): ${JSON.stringify(result.consumerDefault)}`)

  // c. same with tiny fetches
  const g2 = benchName(`${client}-killv2`, suffix)
  groups.push(g2)
  const delivered2 = await adapter.readAll({ topic: output, group: g2, idleMs: 6000, maxBytes: smallFetch, timeoutMs: 300000 })
  result.consumerSmallFetch = { maxBytes: smallFetch, ...classify(delivered2, byPos, records) }
  log(`${client}: read_committed consumer (fetch max ${smallFetch} bytes): ${JSON.stringify(result.consumerSmallFetch)}`)
} catch (error) {
  result.error = error.stack ?? String(error)
  log(`${client}: FAILED: ${result.error}`)
} finally {
  if (!args.keep) {
    await deleteTopics([input, output])
    await deleteGroups(groups)
  }
}

process.stdout.write(JSON.stringify(result) + '\n')
process.exit(result.error ? 1 : 0)
