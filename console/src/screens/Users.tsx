import { useEffect, useId, useRef, useState } from 'react';
import { api, ApiError, type DirectoryUser } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { TableWrap } from '../components/TableWrap';
import { Heading } from '../components/Heading';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

type Verb = 'lock' | 'unlock' | 'reset-mfa';

const ACTIONS: Record<Verb, { label: string; title: (u: string) => string; text: string; done: string }> = {
  lock: {
    label: 'Lock',
    title: (u) => `Lock ${u}?`,
    text: 'Their sessions end at once and their API key stops working until the account is unlocked.',
    done: 'locked',
  },
  unlock: {
    label: 'Unlock',
    title: (u) => `Unlock ${u}?`,
    text: 'They can sign in and use their API key again.',
    done: 'unlocked',
  },
  'reset-mfa': {
    label: 'Reset MFA',
    title: (u) => `Reset the second factor of ${u}?`,
    text: 'Their authenticator and recovery codes stop working; they set up a new authenticator at their next sign-in.',
    done: 'must set up two-step verification again',
  },
};

/** A message for the next Users screen (after creating a user); memory only. */
let flash: string | undefined;
export function flashUsers(message: string): void {
  flash = message;
}

let rememberedSearch = '';

export function Users() {
  const [search, setSearch] = useState(rememberedSearch);
  const [query, setQuery] = useState(rememberedSearch.trim());
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; items: readonly DirectoryUser[] } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState(() => {
    const message = flash ?? '';
    flash = undefined;
    return message;
  });
  const [confirm, setConfirm] = useState<
    { verb: Verb; user: DirectoryUser; opener: HTMLElement } | undefined
  >(undefined);
  const [version, setVersion] = useState(0);
  const tableRef = useRef<HTMLTableElement>(null);
  const ids = useId();

  useEffect(() => {
    rememberedSearch = search;
    const timer = window.setTimeout(() => {
      setQuery(search.trim());
      setOffset(0);
    }, SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    const controller = new AbortController();
    api.users({ search: query, offset, limit: PAGE_SIZE }, controller.signal).then(
      (answer) => {
        setPage(answer);
        setError(undefined);
      },
      (err: unknown) => {
        if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => controller.abort();
  }, [query, offset, version]);

  function go(to: number) {
    setOffset(to);
    tableRef.current?.focus();
  }

  const total = page?.total ?? 0;
  return (
    <>
      <div className="page-title-row">
        <Heading title="Users">Users</Heading>
        <a className="button primary" href="#/users/new">
          New user
        </a>
      </div>
      <div className="filters" role="search" aria-label="Filter users">
        <div className="field">
          <label htmlFor={`${ids}-search`}>Search users</label>
          <input
            id={`${ids}-search`}
            type="search"
            value={search}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${ids}-hint`}
            onChange={(e) => setSearch(e.target.value)}
          />
          <p id={`${ids}-hint`} className="hint">
            Matches the user name or full name.
          </p>
        </div>
      </div>
      <p className="announcer" role="status" aria-live="polite">
        {announcement}
      </p>
      <p className="count" role="status" aria-live="polite" aria-busy={page === undefined}>
        {page === undefined
          ? 'Loading users…'
          : total === 0
            ? 'No users match'
            : `Showing ${(offset + 1).toLocaleString('en')}–${Math.min(offset + PAGE_SIZE, total).toLocaleString('en')} of ${total.toLocaleString('en')} users`}
      </p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
      {page && page.items.length > 0 ? (
        <TableWrap label="Users">
          <table className="accounts" aria-label="Users" ref={tableRef} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">User name</th>
                <th scope="col">Role</th>
                <th scope="col" className="col-email">
                  Email
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((user) => (
                <tr key={user.id}>
                  <th scope="row">
                    {user.username}
                    {user.fullName ? <span className="cell-detail">{user.fullName}</span> : null}
                  </th>
                  <td>
                    {user.role}
                    {user.isSuperAdmin ? <span className="badge">All passwords</span> : null}
                  </td>
                  <td className="col-email">{user.email || '—'}</td>
                  <td>
                    {user.locked ? <span className="badge badge-warning">Locked</span> : 'Active'}
                    {user.isApiUser ? <span className="badge">API user</span> : null}
                    {!user.isApiUser && !user.hasTotp ? (
                      <span className="cell-detail">No second factor yet</span>
                    ) : null}
                  </td>
                  <td className="actions">
                    <span className="button-row">
                      {(['lock', 'reset-mfa'] as const).map((base) => {
                        const verb: Verb = base === 'lock' && user.locked ? 'unlock' : base;
                        if (verb === 'reset-mfa' && (user.isApiUser || !user.hasTotp)) return null;
                        return (
                          <button
                            key={base}
                            type="button"
                            className="button small"
                            onClick={(e) => setConfirm({ verb, user, opener: e.currentTarget })}
                          >
                            {ACTIONS[verb].label}
                            <span className="visually-hidden"> {user.username}</span>
                          </button>
                        );
                      })}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {total > PAGE_SIZE ? (
        <nav className="pager button-row" aria-label="User pages">
          <button
            type="button"
            className="button"
            disabled={offset === 0}
            onClick={() => go(Math.max(0, offset - PAGE_SIZE))}
          >
            Previous<span className="visually-hidden"> page</span>
          </button>
          <button
            type="button"
            className="button"
            disabled={offset + PAGE_SIZE >= total}
            onClick={() => go(offset + PAGE_SIZE)}
          >
            Next<span className="visually-hidden"> page</span>
          </button>
        </nav>
      ) : null}
      {confirm ? (
        <ConfirmDialog
          title={ACTIONS[confirm.verb].title(confirm.user.username)}
          confirmLabel={ACTIONS[confirm.verb].label}
          opener={confirm.opener}
          onClose={() => setConfirm(undefined)}
          onConfirm={async () => {
            const { verb, user } = confirm;
            await api.userAction(verb, user.username);
            // The opener's label changes (Lock ↔ Unlock) but it is the same button: the focus returns to it.
            setConfirm(undefined);
            setAnnouncement(`${user.username} ${ACTIONS[verb].done}`);
            setVersion((v) => v + 1);
          }}
        >
          <p>{ACTIONS[confirm.verb].text}</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
