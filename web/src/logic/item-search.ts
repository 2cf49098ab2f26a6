/**
 * The item search of the bundle form (components/item-search.tsx) without the DOM: what is sent to
 * GET /catalog/items for what is typed, which answer is still the one to show, the keyboard of the suggestion list
 * (the ARIA combobox pattern: arrows move, Enter picks, Escape closes), what the field says about the item typed,
 * and which parts of a suggestion match what was typed.
 */
import type { CatalogItem, CatalogSearchAnswer } from '../api-types.js';

/** After the last keystroke: a scanner or a quick typist sends one request, not one per character. */
export const SEARCH_DELAY_MS = 250;
/** Suggestions shown: as many as fit under the field on a portrait tablet without scrolling the list. */
export const SUGGESTION_LIMIT = 8;
/** The service's longest `q`. */
export const MAX_QUERY_LENGTH = 100;

/** The `q` for what is typed (spaces trimmed and collapsed, as the service compares), or undefined: nothing to search. */
export function searchQueryOf(typed: string): string | undefined {
  const query = typed.trim().replace(/\s+/g, ' ').slice(0, MAX_QUERY_LENGTH).trim();
  return query === '' ? undefined : query;
}

/** An answer to `query`, as the component keeps it. */
export interface Suggestions extends CatalogSearchAnswer {
  query: string;
}

/** The answer belongs to what the field holds now (a slower answer to an older text is dropped). */
export const answersTyped = (suggestions: Suggestions | undefined, typed: string): suggestions is Suggestions =>
  suggestions !== undefined && suggestions.query === searchQueryOf(typed);

// ------------------------------------------------------------------------------------------- the keyboard

export interface ListState {
  open: boolean;
  /** The option the arrows are on; -1: none (the text field's own value stands). */
  active: number;
}

export const CLOSED: ListState = { open: false, active: -1 };

export type ListKey = 'ArrowDown' | 'ArrowUp' | 'Enter' | 'Escape';

export interface KeyOutcome {
  state: ListState;
  /** The option picked: its item ID goes into the field. */
  pick?: number;
  /** The key was the list's: the browser's own action (submitting the form, moving the caret) is prevented. */
  handled: boolean;
}

/**
 * One key in the field, with `count` suggestions for what it holds. Arrows open the list and move through it,
 * round from the last to the first; Alt+ArrowDown opens it without choosing. Enter picks the option the arrows
 * are on (and only then: otherwise it submits the form, as in any field); Escape closes the list.
 */
export function onListKey(state: ListState, key: ListKey, count: number, alt = false): KeyOutcome {
  switch (key) {
    case 'ArrowDown':
      if (count === 0) return { state, handled: false };
      if (!state.open) return { state: { open: true, active: alt ? -1 : 0 }, handled: true };
      return { state: { open: true, active: (state.active + 1) % count }, handled: true };
    case 'ArrowUp':
      if (count === 0) return { state, handled: false };
      if (!state.open || state.active <= 0) return { state: { open: true, active: count - 1 }, handled: true };
      return { state: { open: true, active: state.active - 1 }, handled: true };
    case 'Enter':
      if (state.open && state.active >= 0 && state.active < count) return { state: CLOSED, pick: state.active, handled: true };
      return { state: CLOSED, handled: false };
    case 'Escape':
      return { state: CLOSED, handled: state.open };
  }
}

/** The keys the list answers to; others are the text field's. */
export const isListKey = (key: string): key is ListKey => key === 'ArrowDown' || key === 'ArrowUp' || key === 'Enter' || key === 'Escape';

// ------------------------------------------------------------------------------------ what the field says

/**
 * What the catalog says of the item ID in the field, once a search for it has answered: `known` with the item
 * (the exact ID comes first in an answer), `unknown` when no item has that ID (it may still be sent: the catalog
 * may not have the item yet), or undefined when there is no answer for it.
 */
export type CatalogNote = { kind: 'known'; item: CatalogItem } | { kind: 'unknown'; itemId: string };

export function catalogNote(suggestions: Suggestions | undefined, typed: string): CatalogNote | undefined {
  if (!answersTyped(suggestions, typed)) return undefined;
  const itemId = typed.trim();
  const item = suggestions.items.find((candidate) => candidate.itemId === itemId);
  if (item) return { kind: 'known', item };
  // Words of a name are a search, not an item ID: nothing to say until one is picked.
  if (/\s/.test(itemId) || suggestions.items.length > 0) return undefined;
  return { kind: 'unknown', itemId };
}

// --------------------------------------------------------------------------------------- the highlighting

export interface Segment {
  text: string;
  match: boolean;
}

/**
 * `text` cut where the words of `query` occur, case-insensitively, so a suggestion shows why it matched. Text whose
 * lower case changes its length (rare letters) is shown without marks rather than marked in the wrong place.
 */
export function highlighted(text: string, query: string): Segment[] {
  const lower = text.toLowerCase();
  const terms = (searchQueryOf(query) ?? '').toLowerCase().split(' ').filter(Boolean);
  if (text === '' || terms.length === 0 || lower.length !== text.length) return text === '' ? [] : [{ text, match: false }];
  const marked = new Array<boolean>(text.length).fill(false);
  for (const term of terms) {
    for (let at = lower.indexOf(term); at >= 0; at = lower.indexOf(term, at + term.length)) marked.fill(true, at, at + term.length);
  }
  const segments: Segment[] = [];
  for (let start = 0; start < text.length;) {
    let end = start + 1;
    while (end < text.length && marked[end] === marked[start]) end++;
    segments.push({ text: text.slice(start, end), match: marked[start]! });
    start = end;
  }
  return segments;
}
