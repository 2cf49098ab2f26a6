/**
 * The fuzz campaign, short form (the long one is `bench/fuzz.ts`; the campaign itself is test/fuzz/topic-campaign.ts):
 * generated bad records on every topic the order topology reads, interleaved with valid orders, into `omnia start` on
 * the real broker. Every bad record must be dead-lettered with a code (the contract's code where it fixes one), every
 * valid order released as a straight in-process run releases it, and the pipeline must never stall: every input is
 * answered.
 */
import t from 'tap';
import { runTopicCampaign } from '../fuzz/topic-campaign.js';
import { requireKafka, testClient } from './harness.js';

const BAD = Number(process.env.FUZZ_RECORDS ?? 2_000);
const VALID = 400;

t.test(
  `${BAD} bad records on every input topic among ${VALID} valid orders: each dead-lettered with its code, none valid lost`,
  async (t) => {
    if (!(await requireKafka(t))) return;
    const result = await runTopicCampaign({ client: testClient(), badRecords: BAD, validOrders: VALID });

    t.same(result.unanswered, {}, 'every bad record is dead-lettered, or refused as an order, with a code');
    t.same(result.wrongCodes, [], 'each with a code, the contract’s where it fixes one');
    t.comment(`codes by category: ${JSON.stringify(result.codesByCategory)}`);
    t.same(
      [...result.expectedReleases].filter((id) => result.releases.get(id) !== 1),
      [],
      `every one of the ${result.expectedReleases.size} releasable valid orders released exactly once`,
    );
    t.same(
      [...result.releases.keys()].filter((id) => !result.expectedReleases.has(id)),
      [],
      'and nothing else released',
    );
    t.ok(result.peakRssMb > 0 && result.peakRssMb < 600, `memory bounded: omnia start peaked at ${Math.round(result.peakRssMb)} MB RSS`);
    t.comment(`answered in ${result.seconds.toFixed(1)} s; longest pause between answers ${result.longestPauseSeconds.toFixed(1)} s`);
  },
);
