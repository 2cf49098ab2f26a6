/**
 * HTTP schema fuzzing, the short form (the long one is bench/http-fuzz.ts): every route of the query service that
 * takes input, on the embedded default in a process of its own, gets bad requests made from its own schemas
 * (test/fuzz/bad-requests.ts) — wrong types, missing fields, unknown enum values, huge strings and arrays, deep
 * nesting, broken or non-UTF-8 JSON, money with 5 decimals, negative quantities, bad path and query parameters,
 * wrong content types, bodies and headers over the limits — as an admin, so that each reaches the route's checks.
 *
 * - Each is refused as it must be: 400 whose details name every broken field, or 413 / 414 / 415 / 431; never a
 *   5xx, never an answer over 1 MB, never no answer (a request unanswered after 60 s fails the test: a hang, not a
 *   slow answer). A sample sent without a token gets 401 TOKEN_MISSING, with nothing of the validation in it.
 * - None has an effect: the orders, bundles, search, awaiting-Slick list and audit trail an admin sees are the same
 *   afterwards, and the fuzzing caller is in no audit entry.
 * - Valid requests between them keep working (the same order view throughout, every bundle they create there
 *   afterwards), and a cancel after the campaign goes through.
 * - The service's memory stays bounded (VmRSS of the child, reported; asserted under a generous 1 GB).
 * - Every path parameter has a schema no longer than the router lets a parameter be (else a valid value is a 414).
 */
import t from 'tap';
import { KINDS } from '../fuzz/bad-requests.js';
import { httpFuzzCampaign, summary } from '../fuzz/http-campaign.js';

/** About 80 bad requests per route: enough for each route to get every kind of breakage it can take. */
const REQUESTS = 2_700;
const SEED = 20_261_207;

t.test('HTTP schema fuzzing: every route refuses bad requests clearly, without effect, and keeps serving', async (t) => {
  const result = await httpFuzzCampaign({ requests: REQUESTS, seed: SEED, progress: (line) => t.comment(line) });
  t.comment(summary(result));

  t.ok(result.declared.length >= 30, `the service's routes were read from Fastify (${result.declared.length} take input)`);
  t.same(
    result.declared.filter((route) => !result.routes.includes(route)),
    [],
    'every one of them was fuzzed',
  );
  t.same(result.schemaGaps, [], 'every path parameter has a schema the router can meet');
  t.same(
    KINDS.filter((kind) => !result.byKind[kind]),
    [],
    'every kind of breakage was sent',
  );
  t.same(result.failures.slice(0, 25), [], `every bad request refused as expected (${result.failures.length} were not)`);
  t.equal(result.byStatus['500'] ?? 0, 0, 'no 500');
  t.same(result.errorsLogged.slice(0, 5), [], 'the service logged no error');
  t.same(result.effects, [], 'what an admin sees is unchanged: nothing was published or changed');
  t.same(result.afterwards, [], 'nothing valid lost, and a valid action still works');
  t.ok(
    result.valid > 0 && result.anonymous > 0,
    `valid requests (${result.valid}) and calls without a token (${result.anonymous}) were made`,
  );
  t.ok(result.rss.peakMb > 0 && result.rss.peakMb < 1024, `the service's memory stayed bounded (peak VmRSS ${result.rss.peakMb} MB)`);
});
