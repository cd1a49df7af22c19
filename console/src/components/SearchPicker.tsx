import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { ApiError } from '../api';

const SEARCH_DELAY_MS = 200;
const LIMIT = 20;

/** How one picker searches the server and shows what it found. */
export interface PickerSource<T> {
  readonly search: (
    query: { search: string; offset: number; limit: number },
    signal: AbortSignal,
  ) => Promise<{ readonly items: readonly T[]; readonly total: number }>;
  readonly keyOf: (item: T) => number | string;
  /** The text the field holds once the item is picked. */
  readonly textOf: (item: T) => string;
  /** The item in words, for the announcement ("ivan (Ivan Petrov) selected"). */
  readonly describe: (item: T) => string;
  readonly option: (item: T) => ReactNode;
  /** What the list holds: singular and plural ("user", "users"). */
  readonly noun: readonly [string, string];
  readonly hint: string;
}

/**
 * A picker over a list the server searches as you type: an ARIA 1.2 combobox. Arrow keys move
 * through the options (aria-activedescendant keeps the focus in the input), Enter picks one,
 * Escape closes the list (and only the list, not an enclosing dialog). The user and resource
 * pickers are this with their own source.
 */
export function SearchPicker<T>({
  label,
  value,
  onChange,
  error,
  source,
}: {
  label: string;
  value: T | undefined;
  onChange: (item: T | undefined) => void;
  error?: string | undefined;
  source: PickerSource<T>;
}) {
  const id = useId();
  const [text, setText] = useState(value ? source.textOf(value) : '');
  const [open, setOpen] = useState(false);
  const [options, setOptions] = useState<readonly T[]>([]);
  const [total, setTotal] = useState(0);
  const [active, setActive] = useState(-1);
  const [status, setStatus] = useState('');
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const listRef = useRef<HTMLUListElement>(null);

  const query = text.trim();
  /** The search the options are for: reopening the list with the same text does not fetch again. */
  const fetched = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!open || fetched.current === query) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      source.search({ search: query, offset: 0, limit: LIMIT }, controller.signal).then(
        (answer) => {
          fetched.current = query;
          setOptions(answer.items);
          setTotal(answer.total);
          setActive(-1);
          setLoadError(undefined);
          setStatus(
            answer.total === 0
              ? `No ${source.noun[1]} match`
              : answer.total > answer.items.length
                ? `${answer.items.length} of ${answer.total} ${source.noun[1]} shown; type more to narrow the list`
                : answer.total === 1
                  ? `1 ${source.noun[0]}`
                  : `${answer.total} ${source.noun[1]}`,
          );
        },
        (err: unknown) => {
          if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
          setOptions([]);
          setLoadError(err instanceof Error ? err.message : String(err));
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
    // The source is fixed for a picker's life: only the text and the list's state start a search.
  }, [query, open]);

  useEffect(() => {
    if (active < 0) return;
    listRef.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  function pick(item: T) {
    onChange(item);
    setText(source.textOf(item));
    setOpen(false);
    setActive(-1);
    setStatus(`${source.describe(item)} selected`);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        if (!open) setOpen(true);
        else if (options.length > 0) setActive((a) => (a + 1) % options.length);
        break;
      case 'ArrowUp':
        event.preventDefault();
        if (!open) setOpen(true);
        else if (options.length > 0) setActive((a) => (a <= 0 ? options.length - 1 : a - 1));
        break;
      case 'Enter': {
        const option = open ? options[active] : undefined;
        if (option) {
          event.preventDefault();
          pick(option);
        }
        break;
      }
      case 'Escape':
        if (open) {
          // Close the list only; the dialog around it stays.
          event.preventDefault();
          event.stopPropagation();
          setOpen(false);
          setActive(-1);
        }
        break;
      default:
        break;
    }
  }

  const expanded = open && options.length > 0;
  const describedBy = [`${id}-hint`, error ? `${id}-error` : ''].filter((s) => s !== '').join(' ');
  return (
    <div className={error ? 'field field-invalid combobox' : 'field combobox'}>
      <label htmlFor={`${id}-input`}>{label}</label>
      <p id={`${id}-hint`} className="hint">
        {source.hint}
      </p>
      <input
        id={`${id}-input`}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={`${id}-listbox`}
        aria-activedescendant={expanded && active >= 0 ? `${id}-option-${active}` : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          if (value) onChange(undefined);
        }}
        onBlur={(e) => {
          if (!listRef.current?.contains(e.relatedTarget)) setOpen(false);
        }}
        onKeyDown={onKeyDown}
      />
      <ul
        id={`${id}-listbox`}
        ref={listRef}
        role="listbox"
        aria-label={`${label}: matching ${source.noun[1]}`}
        className={expanded ? 'listbox' : 'listbox listbox-hidden'}
      >
        {expanded
          ? options.map((item, index) => (
              <li
                key={source.keyOf(item)}
                id={`${id}-option-${index}`}
                data-index={index}
                role="option"
                aria-selected={index === active}
                className={index === active ? 'option option-active' : 'option'}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => pick(item)}
              >
                {source.option(item)}
              </li>
            ))
          : null}
      </ul>
      {open && total > options.length && options.length > 0 ? (
        <p className="hint">Type more to narrow the list.</p>
      ) : null}
      <p className="visually-hidden" role="status" aria-live="polite">
        {open ? status : value ? `${source.describe(value)} selected` : ''}
      </p>
      {loadError ? (
        <p className="field-error" role="alert">
          {loadError}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
