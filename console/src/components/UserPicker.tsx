import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { api, ApiError, type DirectoryUser } from '../api';

const SEARCH_DELAY_MS = 200;
const LIMIT = 20;

function display(user: DirectoryUser): string {
  return user.fullName ? `${user.username} (${user.fullName})` : user.username;
}

/**
 * A user picker: an ARIA 1.2 combobox over the server's user directory, searched as you type.
 * Arrow keys move through the options (aria-activedescendant keeps the focus in the input),
 * Enter picks one, Escape closes the list (and only the list, not an enclosing dialog).
 */
export function UserPicker({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: DirectoryUser | undefined;
  onChange: (user: DirectoryUser | undefined) => void;
  error?: string | undefined;
}) {
  const id = useId();
  const [text, setText] = useState(value ? value.username : '');
  const [open, setOpen] = useState(false);
  const [options, setOptions] = useState<readonly DirectoryUser[]>([]);
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
      api.users({ search: query, offset: 0, limit: LIMIT }, controller.signal).then(
        (answer) => {
          fetched.current = query;
          setOptions(answer.items);
          setTotal(answer.total);
          setActive(-1);
          setLoadError(undefined);
          setStatus(
            answer.total === 0
              ? 'No users match'
              : answer.total > answer.items.length
                ? `${answer.items.length} of ${answer.total} users shown; type more to narrow the list`
                : answer.total === 1
                  ? '1 user'
                  : `${answer.total} users`,
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
  }, [query, open]);

  useEffect(() => {
    if (active < 0) return;
    listRef.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  function pick(user: DirectoryUser) {
    onChange(user);
    setText(user.username);
    setOpen(false);
    setActive(-1);
    setStatus(`${display(user)} selected`);
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
        Type part of a user name or full name, then choose from the list.
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
        aria-label={`${label}: matching users`}
        className={expanded ? 'listbox' : 'listbox listbox-hidden'}
      >
        {expanded
          ? options.map((user, index) => (
              <li
                key={user.id}
                id={`${id}-option-${index}`}
                data-index={index}
                role="option"
                aria-selected={index === active}
                className={index === active ? 'option option-active' : 'option'}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => pick(user)}
              >
                <span className="option-name">{user.username}</span>
                {user.fullName ? <span className="option-detail">{user.fullName}</span> : null}
                {user.isApiUser ? <span className="badge">API user</span> : null}
              </li>
            ))
          : null}
      </ul>
      {open && total > options.length && options.length > 0 ? (
        <p className="hint">Type more to narrow the list.</p>
      ) : null}
      <p className="visually-hidden" role="status" aria-live="polite">
        {open ? status : value ? `${display(value)} selected` : ''}
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
