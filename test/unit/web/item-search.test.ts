import t from 'tap';
import type { CatalogItem } from '../../../web/src/api-types.js';
import {
  answersTyped,
  catalogNote,
  CLOSED,
  highlighted,
  isListKey,
  type ListState,
  onListKey,
  searchQueryOf,
  type Suggestions,
} from '../../../web/src/logic/item-search.js';

const item = (itemId: string, description: string | null = null): CatalogItem => ({
  itemId,
  description,
  unitPrice: '22.0000',
  taxRate: '0.0700',
});

const answer = (query: string, items: CatalogItem[], more = false): Suggestions => ({ query, items, more });

t.test('what is sent for what is typed', async (t) => {
  t.equal(searchQueryOf('  potato   chips '), 'potato chips', 'trimmed, spaces collapsed as the service compares');
  t.equal(searchQueryOf('น้ำ'), 'น้ำ', 'one Thai syllable is a search');
  t.equal(searchQueryOf('s'), 's', 'one letter too');
  t.equal(searchQueryOf('   '), undefined, 'nothing to search for');
  t.equal(searchQueryOf(''), undefined);
  t.equal(searchQueryOf(`${'x'.repeat(99)} y`)?.length, 99, 'at most the service’s 100 characters, without a trailing space');
});

t.test('an answer is shown only for what the field holds now', async (t) => {
  const chips = answer('chips', [item('SKU-105', 'Potato chips 50 g')]);
  t.ok(answersTyped(chips, ' chips'), 'the same search');
  t.notOk(answersTyped(chips, 'chips p'), 'typed on since: a slower answer to the older text is dropped');
  t.notOk(answersTyped(undefined, 'chips'));
});

t.test('the keyboard: arrows open and move round, Enter picks only an option, Escape closes', async (t) => {
  let state: ListState = CLOSED;
  const press = (key: 'ArrowDown' | 'ArrowUp' | 'Enter' | 'Escape', count = 3, alt = false) => {
    const outcome = onListKey(state, key, count, alt);
    state = outcome.state;
    return outcome;
  };
  t.same(press('ArrowDown'), { state: { open: true, active: 0 }, handled: true }, 'opens on the first');
  press('ArrowDown');
  press('ArrowDown');
  t.same(state, { open: true, active: 2 });
  t.same(press('ArrowDown').state, { open: true, active: 0 }, 'round from the last to the first');
  t.same(press('ArrowUp').state, { open: true, active: 2 }, 'and back');
  t.same(press('Enter'), { state: CLOSED, pick: 2, handled: true }, 'Enter picks, the form is not submitted');

  t.same(press('ArrowUp'), { state: { open: true, active: 2 }, handled: true }, 'ArrowUp opens on the last');
  t.same(press('Escape'), { state: CLOSED, handled: true }, 'Escape closes');
  t.same(press('Escape'), { state: CLOSED, handled: false }, 'closed already: not the list’s key');

  t.same(press('ArrowDown', 3, true), { state: { open: true, active: -1 }, handled: true }, 'Alt+ArrowDown opens without choosing');
  t.same(press('Enter'), { state: CLOSED, handled: false }, 'no option chosen: Enter submits the form as in any field');

  t.same(press('ArrowDown', 0), { state: CLOSED, handled: false }, 'nothing found: the arrows are the field’s');
  t.same(onListKey({ open: true, active: 5 }, 'Enter', 2), { state: CLOSED, handled: false }, 'an option no longer there is not picked');
  t.ok(isListKey('ArrowDown') && isListKey('Escape'));
  t.notOk(isListKey('Home') || isListKey('a') || isListKey('Tab'), 'Home, End and letters move the caret and type');
});

t.test('what the field says of the item typed', async (t) => {
  const found = answer('SKU-105', [item('SKU-105', 'Potato chips 50 g'), item('SKU-1050', 'Chips and dip')]);
  t.same(catalogNote(found, 'SKU-105'), { kind: 'known', item: item('SKU-105', 'Potato chips 50 g') }, 'the catalog’s item');
  t.equal(catalogNote(found, 'SKU-10'), undefined, 'no answer for this text yet');
  t.same(catalogNote(answer('SKU-999', []), 'SKU-999'), { kind: 'unknown', itemId: 'SKU-999' }, 'no such item in the catalog');
  t.equal(catalogNote(answer('sku-105', [item('SKU-105')]), 'sku-105'), undefined, 'another case is another ID: pick the suggestion');
  t.equal(catalogNote(answer('potato chips', []), 'potato chips'), undefined, 'words of a name are a search, not an ID');
  t.equal(catalogNote(undefined, 'SKU-105'), undefined);
});

t.test('the parts of a suggestion that match what was typed', async (t) => {
  t.same(highlighted('Potato chips 50 g', 'CHIPS'), [
    { text: 'Potato ', match: false },
    { text: 'chips', match: true },
    { text: ' 50 g', match: false },
  ]);
  t.same(
    highlighted('SKU-105', 'sku-1'),
    [
      { text: 'SKU-1', match: true },
      { text: '05', match: false },
    ],
    'case-insensitive',
  );
  t.same(highlighted('ข้าวมันไก่', 'มันไก่'), [
    { text: 'ข้าว', match: false },
    { text: 'มันไก่', match: true },
  ]);
  t.same(
    highlighted('chips and dip', 'dip chips'),
    [
      { text: 'chips', match: true },
      { text: ' and ', match: false },
      { text: 'dip', match: true },
    ],
    'every word',
  );
  t.same(highlighted('İstanbul tea', 'tea'), [{ text: 'İstanbul tea', match: false }], 'lower case of another length: no marks');
  t.same(highlighted('Butter croissant', ''), [{ text: 'Butter croissant', match: false }]);
  t.same(highlighted('', 'x'), []);
});
