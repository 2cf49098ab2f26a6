// Runs every measurement for every client, sequentially (the broker shares the CPUs), and prints
// the README table with medians.
//   node bench/clients/run-all.mjs [--runs 3] [--kill-runs 2] [--clients platformatic,kafkajs,confluent]
//        [--skip throughput,kill,rc] [--out bench/clients/results/run.json]
// Each measurement runs in a fresh Node process; runs are interleaved across clients.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLIENTS, log, median, parseArgs } from './common.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const args = parseArgs()
const runs = Number(args.runs ?? 3)
const killRuns = Number(args['kill-runs'] ?? 2)
const clients = String(args.clients ?? CLIENTS.join(',')).split(',')
const skip = new Set(String(args.skip ?? '').split(',').filter(Boolean))
const out = args.out ?? join(here, 'results', `run-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)

function cpuTimes () {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const n = f.map(Number)
  const idle = n[3] + (n[4] ?? 0)
  return { idle, total: n.reduce((a, b) => a + b, 0) }
}

/** Machine-wide CPU busy share (0..1) over `ms`. */
async function cpuBusy (ms = 2000) {
  const a = cpuTimes()
  await new Promise(resolve => setTimeout(resolve, ms))
  const b = cpuTimes()
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total)
}

/**
 * The machine is shared: before each measurement wait (at most maxWaitMs) until other
 * processes use less than `threshold` of the CPUs. Returns the last busy share seen.
 */
async function waitForQuiet (threshold = 0.3, maxWaitMs = 120000) {
  const deadline = Date.now() + maxWaitMs
  let busy = await cpuBusy()
  while (busy > threshold && Date.now() < deadline) {
    log(`machine busy (${Math.round(busy * 100)}% CPU), waiting`)
    busy = await cpuBusy(5000)
  }
  return Math.round(busy * 100) / 100
}

function runScript (script, scriptArgs, timeoutMs, env = {}) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [join(here, script), ...scriptArgs], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } })
    let stdout = ''
    child.stdout.on('data', d => { stdout += d })
    const timer = setTimeout(() => { log(`${script} ${scriptArgs.join(' ')}: timeout, killing`); child.kill('SIGKILL') }, timeoutMs)
    child.on('exit', code => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').pop()
      try {
        resolve(JSON.parse(line))
      } catch {
        resolve({ error: `no JSON output (exit ${code})` })
      }
    })
  })
}

const results = {
  startedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadavgAtStart: loadavg() },
  throughput: [],
  pipelinedProduce: [],
  kill: [],
  readCommitted: []
}
const save = () => { mkdirSync(dirname(out), { recursive: true }); writeFileSync(out, JSON.stringify(results, null, 2)) }

if (!skip.has('throughput')) {
  for (let r = 1; r <= runs; r++) {
    for (const client of clients) {
      log(`throughput run ${r}/${runs}: ${client}`)
      const busyBefore = await waitForQuiet()
      results.throughput.push({ run: r, busyBefore, loadavg: loadavg()[0], ...await runScript('throughput.mjs', ['--client', client], 15 * 60 * 1000) })
      save()
    }
    if (clients.includes('confluent')) {
      log(`pipelined produce run ${r}/${runs}: confluent, 8 sends in flight`)
      const busyBefore = await waitForQuiet()
      results.pipelinedProduce.push({ run: r, busyBefore, ...await runScript('throughput.mjs', ['--client', 'confluent', '--only', 'produce', '--inflight', '8'], 10 * 60 * 1000) })
      save()
    }
  }
}

if (!skip.has('kill')) {
  for (let r = 1; r <= killRuns; r++) {
    for (const client of clients) {
      log(`EOS under SIGKILL run ${r}/${killRuns}: ${client}`)
      await waitForQuiet()
      results.kill.push({ run: r, ...await runScript('eos-kill.mjs', ['--client', client], 20 * 60 * 1000) })
      save()
    }
  }
}

if (!skip.has('rc')) {
  for (const client of clients) {
    log(`read_committed check: ${client}`)
    results.readCommitted.push(await runScript('read-committed-check.mjs', ['--client', client], 5 * 60 * 1000))
    save()
  }
}

results.finishedAt = new Date().toISOString()

// ---- summary table -------------------------------------------------------------------------
const fmt = n => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'
const rows = []
const summary = {}
for (const client of clients) {
  const t = results.throughput.filter(x => x.client === client && !x.error)
  const k = results.kill.filter(x => x.client === client)
  const s = {
    runs: t.length,
    produce: median(t.map(x => x.produce?.rps)),
    consume: median(t.map(x => x.consume?.rps)),
    eos: median(t.map(x => x.eos?.rps)),
    produceAll: t.map(x => x.produce?.rps),
    consumeAll: t.map(x => x.consume?.rps),
    eosAll: t.map(x => x.eos?.rps),
    kill: k.map(x => x.error
      ? { error: x.error.split('\n')[0] }
      : {
          truth: `${x.rawLog.check.missing}/${x.rawLog.check.duplicates}`,
          consumer: `${x.consumerDefault.missing}/${x.consumerDefault.duplicates}`,
          consumerSmallFetch: `${x.consumerSmallFetch.missing}/${x.consumerSmallFetch.duplicates}`,
          abortedTxns: x.rawLog.abortedTxns,
          abortedDeliveredDefault: x.consumerDefault.deliveredFromAborted,
          abortedDeliveredSmall: x.consumerSmallFetch.deliveredFromAborted
        })
  }
  summary[client] = s
  const killCell = key => s.kill.map(x => x.error ? 'error' : x[key]).join(', ')
  rows.push(`| ${client} | ${fmt(s.produce)} | ${fmt(s.consume)} | ${fmt(s.eos)} | ${killCell('truth')} | ${killCell('consumer')} | ${killCell('consumerSmallFetch')} |`)
}
results.summary = summary
const pp = median(results.pipelinedProduce.filter(x => !x.error).map(x => x.produce?.rps))
results.summary.confluentPipelinedProduce = { median: pp, all: results.pipelinedProduce.map(x => x.produce?.rps) }
save()

const table = [
  '| client | produce rec/s | consume rec/s | EOS copy rec/s | SIGKILL: committed log missing/dup | SIGKILL: own read_committed consumer missing/dup | same, tiny fetches |',
  '|---|---:|---:|---:|---|---|---|',
  ...rows
].join('\n')
process.stdout.write(`${table}\n\nconfluent produce with 8 sends in flight: ${fmt(pp)} rec/s (median)\nresults: ${out}\n`)
