/**
 * The topic fuzz campaign, long form: by default 100,000 generated bad records over every input topic of the order
 * topology (the kinds of test/fuzz/bad-records.ts, in turn), among 2,000 valid orders, into one `omnia start` on the
 * local broker. It reports what the README's reliability table shows: records fuzzed, how many were answered with
 * their code, valid orders released exactly once, lost and duplicated, how long it took, the longest time without
 * progress, and the peak RSS. Exits non-zero when anything was lost, duplicated or answered with a wrong code.
 *
 *   bash scripts/kafka-local.sh start && npm run bench:fuzz            # or: node dist/bench/fuzz.js --records=100000
 */
import { runTopicCampaign } from '../test/fuzz/topic-campaign.js';
import { testClient } from '../test/kafka/harness.js';

const flag = (name: string, fallback: number) => {
  const match = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return match ? Number(match.slice(name.length + 3)) : fallback;
};
const records = flag('records', 100_000);
const valid = flag('valid', 2_000);
const log = (line: string) => process.stderr.write(`[fuzz] ${line}\n`);

const result = await runTopicCampaign({ client: testClient(), badRecords: records, validOrders: valid, log });
const unanswered = Object.values(result.unanswered).reduce((sum, n) => sum + n, 0);
const lost = [...result.expectedReleases].filter((id) => !result.releases.has(id)).length;
const duplicated = [...result.releases.values()].filter((count) => count > 1).length;
const stray = [...result.releases.keys()].filter((id) => !result.expectedReleases.has(id)).length;
const categories = Object.keys(result.codesByCategory).length;

const summary = {
  badRecords: result.bad.length,
  categories,
  inputMb: Math.round(result.inputBytes / 1e5) / 10,
  answeredWithCode: result.bad.length - unanswered - result.wrongCodes.length,
  unanswered,
  wrongCodes: result.wrongCodes,
  validOrdersReleasable: result.expectedReleases.size,
  releasedExactlyOnce: [...result.expectedReleases].filter((id) => result.releases.get(id) === 1).length,
  lost,
  duplicated,
  releasedThatShouldNotBe: stray,
  seconds: Math.round(result.seconds),
  bad_records_per_second: Math.round(result.bad.length / Math.max(result.seconds, 0.001)),
  longestPauseSeconds: Math.round(result.longestPauseSeconds * 10) / 10,
  peakRssMb: Math.round(result.peakRssMb),
  peakRssFirstHalfMb: Math.round(result.peakRssByHalfMb[0]),
  peakRssSecondHalfMb: Math.round(result.peakRssByHalfMb[1]),
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
process.exit(unanswered || result.wrongCodes.length || lost || duplicated || stray ? 1 : 0);
