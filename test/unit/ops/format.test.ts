import t from 'tap';
import { parseArgs, parseSince, UsageError } from '../../../ops/args.js';
import { ago, clip, count, describeBytes, isoSeconds, plural, ranges, span, table, toJson } from '../../../ops/format.js';
import { metricValue, parseMetrics, samplesOf } from '../../../ops/prometheus.js';

t.test('tables align columns, numbers to the right, without trailing spaces', async (t) => {
  t.equal(
    table(
      ['task', 'owner', 'lag'],
      [
        ['0', 'omnia-a', '12'],
        ['10', 'omnia-bb', '1,234'],
      ],
      [0, 2],
    ),
    ['task  owner       lag', '   0  omnia-a      12', '  10  omnia-bb  1,234'].join('\n'),
  );
  t.equal(table(['a', 'b'], [['x', '']]), 'a  b\nx', 'an empty last cell leaves no trailing space');
});

t.test('counts, spans, ages, ranges and plurals read as people say them', async (t) => {
  t.equal(count(0), '0');
  t.equal(count(1234567), '1,234,567');
  t.equal(count(-1234), '-1,234');
  t.equal(count(12345678901234567890n), '12,345,678,901,234,567,890');
  t.equal(span(0.42), '0.4 s');
  t.equal(span(42), '42 s');
  t.equal(span(150), '2 min');
  t.equal(span(3600 + 5 * 60), '1 h 5 min');
  t.equal(span(7200), '2 h');
  t.equal(span(3 * 86_400 + 5), '3 d');
  t.equal(ago(1_000, 4_500), '3.5 s ago');
  t.equal(ago(10_000, 4_000), 'in 6.0 s', 'a time ahead of this clock');
  t.equal(isoSeconds(Date.parse('2026-05-01T03:12:09.456Z')), '2026-05-01T03:12:09Z');
  t.equal(ranges([3, 0, 1, 2, 7, 5, 6]), '0-3, 5-7');
  t.equal(ranges([4]), '4');
  t.equal(plural(1, 'dead letter'), '1 dead letter');
  t.equal(plural(1200, 'dead letter'), '1,200 dead letters');
  t.equal(clip('a\n  b   c', 10), 'a b c');
  t.equal(clip('abcdefghijkl', 6), 'abcde…');
});

t.test('record values: compact JSON, text, or their size and first bytes', async (t) => {
  t.equal(describeBytes(Buffer.from('{ "OrderID" : "X-1" }'), 100), '{"OrderID":"X-1"}');
  t.equal(describeBytes(Buffer.from('plain text'), 100), 'plain text');
  t.equal(describeBytes(Buffer.from('\u0000garbage'), 100), '8 bytes, not text: 00 67 61 72 62 61 67 65');
  t.equal(describeBytes(Buffer.from([0xff, 0xfe]), 100), '2 bytes, not text: ff fe', 'not UTF-8');
  t.equal(describeBytes(null, 100), '(null: a tombstone)');
  t.equal(describeBytes(Buffer.from(JSON.stringify({ a: 'x'.repeat(50) })), 20), '{"a":"xxxxxxxxxxxxx…');
});

t.test('JSON for machines: bigints as strings', async (t) => {
  t.same(JSON.parse(toJson({ offset: 12n, set: new Set([1]), map: new Map([['a', 1]]) })), { offset: '12', set: [1], map: { a: 1 } });
});

t.test('arguments: values, flags, and a refusal that lists what the command takes', async (t) => {
  const parsed = parseArgs(['ORDER-1', '--store', 'QC0001', '--json', '--code=UNKNOWN_CUSTOMER'], {
    store: 'value',
    code: 'value',
    json: 'flag',
  });
  t.same(parsed.positional, ['ORDER-1']);
  t.equal(parsed.values.get('store'), 'QC0001');
  t.equal(parsed.values.get('code'), 'UNKNOWN_CUSTOMER');
  t.ok(parsed.flags.has('json'));
  t.throws(
    () => parseArgs(['--jsn'], { json: 'flag', topic: 'value' }),
    new UsageError('unknown option --jsn; this command takes --json, --topic VALUE'),
  );
  t.throws(() => parseArgs(['--topic'], { topic: 'value' }), new UsageError('--topic needs a value'));
  t.throws(() => parseArgs(['--topic', '--json'], { topic: 'value', json: 'flag' }), new UsageError('--topic needs a value'));
  t.throws(() => parseArgs(['--json=yes'], { json: 'flag' }), new UsageError('--json takes no value'));
});

t.test('--since: a time, or a span back from now', async (t) => {
  const now = Date.parse('2026-05-01T03:00:00Z');
  t.equal(parseSince('30m', now), now - 30 * 60_000);
  t.equal(parseSince('2h', now), now - 2 * 3_600_000);
  t.equal(parseSince('1d', now), now - 86_400_000);
  t.equal(parseSince('45s', now), now - 45_000);
  t.equal(parseSince('2026-04-30T22:00:00Z', now), Date.parse('2026-04-30T22:00:00Z'));
  t.equal(parseSince('2026-04-30', now), Date.parse('2026-04-30T00:00:00Z'));
  t.throws(() => parseSince('yesterday', now), UsageError);
  t.throws(() => parseSince('2026-13-45', now), UsageError);
});

t.test('the Prometheus text of a replica: samples with labels, escapes, comments skipped', async (t) => {
  const samples = parseMetrics(
    [
      '# HELP omnia_tasks Tasks owned by this replica',
      '# TYPE omnia_tasks gauge',
      'omnia_tasks 2',
      'omnia_commits_total{result="committed"} 120',
      'omnia_commits_total{result="aborted"} 3',
      'omnia_dead_letters_total{topic="x.order.create.v1.dlq",code="UNKNOWN_CUSTOMER"} 1',
      'weird{path="a\\"b\\\\c"} +Inf',
      'process_start_time_seconds 1777777777 1700000000000',
      'not a sample line',
      '',
    ].join('\n'),
  );
  t.equal(metricValue(samples, 'omnia_tasks'), 2);
  t.equal(metricValue(samples, 'omnia_commits_total'), 123, 'summed over the samples');
  t.equal(metricValue(samples, 'omnia_commits_total', { result: 'aborted' }), 3);
  t.equal(metricValue(samples, 'missing'), undefined);
  t.same(samplesOf(samples, 'omnia_dead_letters_total')[0]!.labels, { topic: 'x.order.create.v1.dlq', code: 'UNKNOWN_CUSTOMER' });
  t.same(samplesOf(samples, 'weird')[0], { name: 'weird', labels: { path: 'a"b\\c' }, value: Infinity });
  t.equal(metricValue(samples, 'process_start_time_seconds'), 1777777777, 'a sample timestamp is not its value');
});
