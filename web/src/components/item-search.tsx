/**
 * A bundle component's item field: a text field that searches the catalog (GET /catalog/items) as it is typed in
 * and offers the items found below it, as an ARIA 1.2 combobox: the field keeps the focus, the list is a listbox
 * whose option the arrows are on is named by aria-activedescendant, Enter or a tap picks it, Escape closes it.
 * Picking puts the item ID in the field; an ID typed in full is kept as it is, found or not (the catalog may lag
 * behind a new item). Under the field: the name and price of the item whose ID it holds, or that the catalog does
 * not know it, once a search for it has answered. The count found is read out through the app's polite region.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CatalogSearchAnswer } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useBundleI18n } from '../bundles-i18n.js';
import {
  answersTyped,
  catalogNote,
  CLOSED,
  highlighted,
  isListKey,
  type ListState,
  onListKey,
  SEARCH_DELAY_MS,
  searchQueryOf,
  SUGGESTION_LIMIT,
  type Suggestions,
} from '../logic/item-search.js';
import { formatBaht } from '../logic/money.js';
import './item-search.css';

interface Props {
  /** The field's id (its label's `for`); the list's and options' ids derive from it. */
  id: string;
  label: string;
  value: string;
  onValue(value: string): void;
  /** The row's number, for the list's name. */
  row: number;
  testId: string;
  /** The form's field key, for focusing the first problem. */
  dataField: string;
  invalid: boolean;
  /** Ids of the hint and problem texts; the note under the field is added to them. */
  describedBy: string;
  /** Shown, not edited (a role that cannot change bundles): no search. */
  readOnly: boolean;
}

function Marked({ text, query }: { text: string; query: string }) {
  return (
    <>
      {highlighted(text, query).map((segment, index) =>
        segment.match ? (
          <mark key={index} class="item-search-match">
            {segment.text}
          </mark>
        ) : (
          segment.text
        ),
      )}
    </>
  );
}

export function ItemSearch({ id, label, value, onValue, row, testId, dataField, invalid, describedBy, readOnly }: Props) {
  const { api, announce } = useApp();
  const { t: bt, tn: btn } = useBundleI18n();
  const [suggestions, setSuggestions] = useState<Suggestions>();
  const [failed, setFailed] = useState(false);
  const [list, setList] = useState<ListState>(CLOSED);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const pending = useRef<AbortController | undefined>(undefined);
  const focused = useRef(false);

  const stop = () => {
    clearTimeout(timer.current);
    pending.current?.abort();
    pending.current = undefined;
  };
  useEffect(() => stop, []);

  const search = (typed: string) => {
    stop();
    const query = searchQueryOf(typed);
    setFailed(false);
    if (query === undefined) {
      setSuggestions(undefined);
      setList(CLOSED);
      return;
    }
    timer.current = setTimeout(() => {
      const controller = new AbortController();
      pending.current = controller;
      api
        .get<CatalogSearchAnswer>('/catalog/items', { q: query, limit: String(SUGGESTION_LIMIT) }, controller.signal)
        .then((answer) => {
          setSuggestions({ query, ...answer });
          // Open only while the field has the focus: an answer arriving after the user moved on stays closed.
          setList({ open: focused.current, active: -1 });
          if (focused.current)
            announce(answer.items.length > 0 ? btn('itemSearch.found', answer.items.length) : bt('itemSearch.none', { q: query }));
        })
        .catch(() => {
          if (controller.signal.aborted) return;
          setSuggestions(undefined);
          setFailed(true);
          setList(CLOSED);
        });
    }, SEARCH_DELAY_MS);
  };

  const current = answersTyped(suggestions, value) ? suggestions : undefined;
  const items = current?.items ?? [];
  const listShown = list.open && items.length > 0;
  const popupShown = list.open && current !== undefined;
  const listId = `${id}-list`;
  const optionId = (index: number) => `${id}-option-${index}`;
  const noteId = `${id}-note`;
  const note = catalogNote(suggestions, value);

  // The list can reach below the screen's edge on a portrait tablet: the option the arrows are on stays in view.
  useEffect(() => {
    if (listShown && list.active >= 0) document.getElementById(optionId(list.active))?.scrollIntoView({ block: 'nearest' });
  }, [listShown, list.active]);

  const pick = (index: number) => {
    const item = items[index];
    if (!item) return;
    stop();
    onValue(item.itemId);
    // The answer stays, re-keyed to the ID now in the field, so the note under it names the item.
    setSuggestions({ query: item.itemId, items: [item], more: false });
    setList(CLOSED);
    announce(bt('itemSearch.picked', { id: item.itemId, name: item.description ?? bt('itemSearch.noName') }));
  };

  // While the list is open it says what was found; the note under the field speaks once it is closed.
  const noteText = failed
    ? bt('itemSearch.failed')
    : note?.kind === 'known'
      ? bt('itemSearch.known', { name: note.item.description ?? bt('itemSearch.noName'), price: formatBaht(note.item.unitPrice) })
      : note?.kind === 'unknown' && !popupShown
        ? bt('itemSearch.unknown', { id: note.itemId })
        : undefined;

  return (
    <>
      <div class="field">
        <label for={id}>{label}</label>
        <div class="item-search">
          <input
            id={id}
            data-field={dataField}
            data-testid={testId}
            type="text"
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={listShown}
            aria-controls={listShown ? listId : undefined}
            aria-activedescendant={listShown && list.active >= 0 ? optionId(list.active) : undefined}
            autoComplete="off"
            autoCapitalize="off"
            spellcheck={false}
            enterKeyHint="search"
            value={value}
            readOnly={readOnly}
            aria-invalid={invalid}
            aria-describedby={noteText ? `${describedBy} ${noteId}` : describedBy}
            onInput={(event) => {
              const typed = event.currentTarget.value;
              onValue(typed);
              if (!readOnly) search(typed);
            }}
            onFocus={() => {
              focused.current = true;
            }}
            onBlur={() => {
              focused.current = false;
              setList(CLOSED);
            }}
            onKeyDown={(event) => {
              if (readOnly || !isListKey(event.key) || event.isComposing) return;
              const outcome = onListKey(list, event.key, items.length, event.altKey);
              if (!outcome.handled) {
                if (list.open) setList(outcome.state);
                return;
              }
              event.preventDefault();
              if (outcome.pick !== undefined) pick(outcome.pick);
              else setList(outcome.state);
            }}
          />
          {popupShown && (
            <div class="item-search-popup" data-testid={`${testId}-suggestions`}>
              {listShown ? (
                <ul
                  id={listId}
                  role="listbox"
                  class="item-search-list"
                  aria-label={bt('itemSearch.list', { n: row })}
                  // Keeps the focus in the field while an option is pressed.
                  onMouseDown={(event) => event.preventDefault()}
                >
                  {items.map((item, index) => (
                    <li
                      key={item.itemId}
                      id={optionId(index)}
                      role="option"
                      aria-selected={index === list.active}
                      class={index === list.active ? 'item-search-option is-active' : 'item-search-option'}
                      data-item={item.itemId}
                      onClick={() => pick(index)}
                    >
                      <span class="item-search-id">
                        <Marked text={item.itemId} query={current.query} />
                      </span>
                      <span class="item-search-name">
                        {item.description ? <Marked text={item.description} query={current.query} /> : bt('itemSearch.noName')}
                      </span>
                      <span class="item-search-price">{formatBaht(item.unitPrice)}</span>
                    </li>
                  ))}
                </ul>
              ) : (
                <p class="item-search-empty">{bt('itemSearch.none', { q: current.query })}</p>
              )}
              {listShown && current.more && <p class="item-search-more">{bt('itemSearch.more')}</p>}
            </div>
          )}
        </div>
      </div>
      {noteText && (
        <p
          id={noteId}
          class={note?.kind === 'unknown' && !failed ? 'field-hint item-search-note is-unknown' : 'field-hint item-search-note'}
        >
          {noteText}
        </p>
      )}
    </>
  );
}
