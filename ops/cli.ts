/**
 * The operator commands of `omnia` (bin/omnia.ts): `status`, `dlq list | show | redrive`, `explain`, and finance's
 * `settlement import`. Each returns
 * its exit status; errors are one message that says what to do next (never a stack trace), usage errors exit 64.
 * The reference is docs/operations.md.
 */
import { parseArgs, UsageError } from './args.js';
import { OpsError } from './cluster.js';
import { dlqList, dlqRedrive, dlqShow, redriveOptions } from './dlq.js';
import { explainCommand } from './explain.js';
import { settlementImportCommand } from './settlement-import.js';
import { statusCommand } from './status.js';

export const OPS_COMMANDS = ['status', 'dlq', 'explain', 'settlement'] as const;

export const USAGE = {
  status: `omnia status [--json]
  Is it healthy, who is behind, what is stuck: the replicas in the group, every task with its owner, restore
  progress and last commit per replica, lag per source partition, dead letters waiting.
  Exit 0 OK, 1 WARN, 2 CRITICAL, 3 could not ask (Kafka unreachable).`,
  dlq: `omnia dlq list    [--topic T] [--code C] [--since S] [--json]
omnia dlq show    [--topic T] [--code C] [--since S] [--limit N] [--full] [--json]
omnia dlq redrive  --topic T --code C [--since S] [--dry-run] [--json]
  T: a source topic (order.create.v1; the prefix and ".dlq" may be left out). C: a code of docs/contract.md §13.
  S: a time (2026-05-01T03:00:00Z) or a span back from now (30m, 2h, 1d).
  redrive re-produces the matching dead letters onto T, each exactly once across runs and crashes.`,
  explain: `omnia explain ORDER_ID [--store S] [--json]
  Every rule, bundle, proration and Cal A–F step that decided the order, re-run by the pipeline's own code on
  its stored input and compared with its stored totals and its release to the 4th decimal.
  Exit 0 agrees (or the order was rejected: why), 1 differs, 2 only Postgres knows it, 3 not found.`,
  settlement: `omnia settlement import --partner PMP FILE [--dry-run] [--json]
  PMP's daily settlement report (CSV: SettlementDate, OrderID, TrackingID, CollectedAmount, CollectedAt) onto
  payment.settlement.v1, one record per row keyed by the order's store (read from DATABASE_URL's orders table).
  Every row is checked first; a file with any bad row is refused whole, each problem listed with its line, field
  and code. Importing the same file again changes nothing. --dry-run checks and publishes nothing.
  Exit 0 imported (or valid), 1 refused, 3 the file, Postgres or Kafka could not be used.`,
} as const;

const HELP = new Set(['--help', '-h', 'help']);

export async function runOps(command: (typeof OPS_COMMANDS)[number], args: readonly string[]): Promise<number> {
  if (args.some((arg) => HELP.has(arg))) {
    process.stdout.write(`${USAGE[command]}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'status': {
        const parsed = parseArgs(args, { json: 'flag' });
        if (parsed.positional.length) throw new UsageError(`no arguments are taken, got ${parsed.positional.join(' ')}`);
        return await statusCommand({ json: parsed.flags.has('json') });
      }
      case 'dlq':
        return await dlq(args);
      case 'settlement':
        return await settlement(args);
      case 'explain': {
        const parsed = parseArgs(args, { store: 'value', json: 'flag' });
        const [orderId, ...rest] = parsed.positional;
        if (!orderId || rest.length) throw new UsageError('one ORDER_ID is needed');
        return await explainCommand(orderId, { store: parsed.values.get('store'), json: parsed.flags.has('json') });
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`omnia ${command}: ${error.message}\n\n${USAGE[command]}\n`);
      return 64;
    }
    if (error instanceof OpsError) {
      process.stderr.write(`omnia ${command}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

async function dlq(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  const filters = { topic: 'value', code: 'value', since: 'value', json: 'flag' } as const;
  switch (action) {
    case 'list': {
      const parsed = parseArgs(rest, filters);
      return dlqList({ ...filterValues(parsed.values), json: parsed.flags.has('json') });
    }
    case 'show': {
      const parsed = parseArgs(rest, { ...filters, limit: 'value', full: 'flag' });
      const limit = Number(parsed.values.get('limit') ?? 20);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit must be a whole number ≥ 1, got ${parsed.values.get('limit')}`);
      return dlqShow({ ...filterValues(parsed.values), limit, full: parsed.flags.has('full'), json: parsed.flags.has('json') });
    }
    case 'redrive': {
      const parsed = parseArgs(rest, { ...filters, 'dry-run': 'flag' });
      return dlqRedrive({ ...redriveOptions(parsed.values), dryRun: parsed.flags.has('dry-run'), json: parsed.flags.has('json') });
    }
    default:
      throw new UsageError(action ? `unknown dlq action "${action}"` : 'an action is needed: list, show or redrive');
  }
}

async function settlement(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'import') throw new UsageError(action ? `unknown settlement action "${action}"` : 'an action is needed: import');
  const parsed = parseArgs(rest, { partner: 'value', 'dry-run': 'flag', json: 'flag' });
  const [file, ...more] = parsed.positional;
  if (!file || more.length) throw new UsageError('one FILE is needed');
  const partner = parsed.values.get('partner');
  if (!partner) throw new UsageError('--partner is needed: the partner whose report it is (PMP)');
  return settlementImportCommand({ partner, file, dryRun: parsed.flags.has('dry-run'), json: parsed.flags.has('json') });
}

const filterValues = (values: ReadonlyMap<string, string>) => ({
  topic: values.get('topic'),
  code: values.get('code'),
  since: values.get('since'),
});
