import t from 'tap';
import { missedAGeneration } from '../../runtime/missed-generation.js';

const consumer = {};
const at = (version: number, generationId: number, by: object = consumer) => ({ consumer: by, version, generationId });

t.test('the next assignment of the next generation: nothing missed', async (t) => {
  t.equal(missedAGeneration(undefined, at(1, 1)), false, 'the first assignment');
  t.equal(missedAGeneration(at(1, 4), at(2, 5)), false);
  t.equal(missedAGeneration(at(2, 5), at(2, 5)), false, 'the same assignment taken up again (a restore retried)');
});

t.test('a generation, an assignment or the consumer skipped: missed', async (t) => {
  t.equal(missedAGeneration(at(1, 4), at(2, 6)), true, 'a generation it took no part in');
  t.equal(missedAGeneration(at(1, 4), at(3, 5)), true, 'an assignment it did not take up');
  t.equal(missedAGeneration(at(1, 4), at(2, 5, {})), true, 'a replaced consumer, whatever its numbers');
});
