// Child of eos-kill.mjs: transactional copy input -> output with one client until the
// offsets committed in transactions reach the input's end offsets. Reports on stdout:
//   ready | commit <records> <txns> | done <records> <txns>
import { loadAdapter, log, parseArgs } from './common.mjs'

const args = parseArgs()
const adapter = await loadAdapter(args.client)
const endOffsets = JSON.parse(args.ends)

const hardStop = setTimeout(() => { log('eos-child: hard timeout'); process.exit(3) }, Number(args['timeout-ms'] ?? 240000))
hardStop.unref()

try {
  const r = await adapter.eosCopy({
    input: args.input,
    output: args.output,
    group: args.group,
    txId: args.txid,
    txBatch: Number(args['tx-batch'] ?? 100),
    lingerMs: 10,
    endOffsets,
    txTimeoutMs: Number(args['tx-timeout-ms'] ?? 10000),
    transform: value => String(Number(value)),
    onReady: () => process.stdout.write('ready\n'),
    onCommit: (records, txns) => process.stdout.write(`commit ${records} ${txns}\n`),
    timeoutMs: Number(args['timeout-ms'] ?? 240000) - 10000
  })
  process.stdout.write(`done ${r.count} ${r.txns}\n`)
  process.exit(0)
} catch (error) {
  log(`eos-child (${args.client}) failed: ${error.stack ?? error}`)
  process.exit(1)
}
