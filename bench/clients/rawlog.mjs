// Ground truth of a transactional topic: read every record batch with isolation
// read_uncommitted through raw Fetch requests (the low-level fetch() of @platformatic/kafka,
// which returns batches with producerId/epoch/attributes and no transaction filtering),
// then replay the transaction markers to decide, per record, committed / aborted / open.
//
//   node bench/clients/rawlog.mjs --topic <topic> [--json]
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka'
import { BROKER, parseArgs } from './common.mjs'

const IS_TRANSACTIONAL = 1 << 4
const IS_CONTROL = 1 << 5

/**
 * Returns { partitions: { [p]: { records: [...], txns: [...] } } } where each record is
 * { partition, offset, producerId, producerEpoch, key, value, status: 'committed'|'aborted'|'open'|'plain' }
 * and each txn is { producerId, producerEpoch, firstOffset, lastOffset, markerOffset, outcome, count }.
 */
export async function readRawLog (topic) {
  const consumer = new Consumer({
    clientId: 'bench-clients-rawlog',
    groupId: 'bench-clients-rawlog-unused',
    bootstrapBrokers: [BROKER]
  })
  try {
    const metadata = await consumer.metadata({ topics: [topic] })
    const t = metadata.topics.get(topic)
    const out = { topic, partitions: {} }
    for (let partition = 0; partition < t.partitionsCount; partition++) {
      const { leader, leaderEpoch } = t.partitions[partition]
      const records = []
      const txns = []
      const open = new Map() // producerId -> { txn, records }
      let offset = 0n
      let highWatermark = -1n
      for (let guard = 0; guard < 100000; guard++) {
        const response = await consumer.fetch({
          node: leader,
          isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [{
            topicId: t.id,
            partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: leaderEpoch, lastFetchedEpoch: -1 }]
          }]
        })
        const p = response.responses[0].partitions[0]
        highWatermark = p.highWatermark
        const batches = p.records ?? []
        if (batches.length === 0) break
        for (const batch of batches) {
          const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta)
          if (lastOffset < offset) continue
          const pid = batch.producerId
          if (batch.attributes & IS_CONTROL) {
            const type = batch.records[0]?.key?.readInt16BE(2)
            const outcome = type === 1 ? 'commit' : type === 0 ? 'abort' : `control-${type}`
            const o = open.get(pid)
            if (o) {
              for (const r of o.records) r.status = outcome === 'commit' ? 'committed' : 'aborted'
              o.txn.markerOffset = Number(batch.firstOffset)
              o.txn.outcome = outcome
              o.txn.markerEpoch = batch.producerEpoch
              open.delete(pid)
            } else {
              txns.push({ producerId: String(pid), producerEpoch: batch.producerEpoch, firstOffset: null, lastOffset: null, markerOffset: Number(batch.firstOffset), outcome, count: 0, emptyMarker: true })
            }
          } else {
            const transactional = Boolean(batch.attributes & IS_TRANSACTIONAL)
            let o = null
            if (transactional) {
              o = open.get(pid)
              if (!o) {
                o = { txn: { producerId: String(pid), producerEpoch: batch.producerEpoch, firstOffset: Number(batch.firstOffset), lastOffset: null, markerOffset: null, outcome: 'open', count: 0 }, records: [] }
                txns.push(o.txn)
                open.set(pid, o)
              }
            }
            for (const r of batch.records) {
              const rec = {
                partition,
                offset: Number(batch.firstOffset + BigInt(r.offsetDelta)),
                producerId: String(pid),
                producerEpoch: batch.producerEpoch,
                key: r.key?.toString() ?? null,
                value: r.value?.toString() ?? null,
                status: transactional ? 'open' : 'plain'
              }
              records.push(rec)
              if (o) {
                o.records.push(rec)
                o.txn.count++
                o.txn.lastOffset = rec.offset
              }
            }
          }
          offset = lastOffset + 1n
        }
        if (offset >= highWatermark) break
      }
      out.partitions[partition] = { highWatermark: Number(highWatermark), records, txns }
    }
    return out
  } finally {
    await consumer.close()
  }
}

/** Index records by "partition:offset". */
export function indexRaw (raw) {
  const byPos = new Map()
  for (const { records } of Object.values(raw.partitions)) {
    for (const r of records) byPos.set(`${r.partition}:${r.offset}`, r)
  }
  return byPos
}

export function summarizeRaw (raw) {
  const s = { records: 0, committed: 0, aborted: 0, open: 0, plain: 0, txns: 0, committedTxns: 0, abortedTxns: 0, openTxns: 0 }
  const abortedTxns = []
  for (const [p, { records, txns }] of Object.entries(raw.partitions)) {
    for (const r of records) { s.records++; s[r.status]++ }
    for (const t of txns) {
      if (t.emptyMarker) continue
      s.txns++
      if (t.outcome === 'commit') s.committedTxns++
      else if (t.outcome === 'abort') { s.abortedTxns++; abortedTxns.push({ partition: Number(p), ...t }) }
      else s.openTxns++
    }
  }
  return { ...s, abortedTxnList: abortedTxns }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs()
  const raw = await readRawLog(args.topic)
  const summary = summarizeRaw(raw)
  if (args.json) process.stdout.write(JSON.stringify({ summary, raw }) + '\n')
  else console.log(JSON.stringify(summary, null, 2))
  process.exit(0)
}
