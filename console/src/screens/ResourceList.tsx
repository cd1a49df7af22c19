import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { api, ApiError, type ResourceGroup, type ResourceSummary } from '../api';
import { Heading } from '../components/Heading';
import { href } from '../router';

/** Rows fetched per request as the list scrolls (offset/limit). */
const PAGE_SIZE = 200;
/** Fixed row and header heights in pixels (styles.css uses the same). */
const ROW_HEIGHT = 48;
const HEADER_HEIGHT = 40;
const SEARCH_DELAY_MS = 250;

/** The last search, type and group filter, so coming back from a resource keeps them (memory only). */
let remembered: { search: string; type: string; group: number | undefined } = {
  search: '',
  type: '',
  group: undefined,
};

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(value), delayMs);
    return () => window.clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

interface Pages {
  readonly key: string;
  readonly pages: Map<number, readonly ResourceSummary[]>;
  readonly loading: Set<number>;
  readonly controller: AbortController;
}

function newPages(key: string): Pages {
  return { key, pages: new Map(), loading: new Set(), controller: new AbortController() };
}

function countText(total: number): string {
  return total === 1 ? '1 resource' : `${total.toLocaleString('en')} resources`;
}

/** `group` comes from the address (#/resources?group=7) and wins over the remembered filter. */
export function ResourceList({ group: routeGroup }: { group?: number | undefined }) {
  const [search, setSearch] = useState(remembered.search);
  const [type, setType] = useState(remembered.type);
  const [group, setGroup] = useState<number | undefined>(routeGroup ?? remembered.group);
  const [types, setTypes] = useState<readonly string[]>([]);
  const [groups, setGroups] = useState<readonly ResourceGroup[]>([]);
  const [total, setTotal] = useState<number | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [, setVersion] = useState(0);
  const query = useDebounced(search.trim(), SEARCH_DELAY_MS);
  const queryKey = JSON.stringify([query, type, group]);
  const store = useRef<Pages>(newPages(''));
  const scrollRef = useRef<HTMLDivElement>(null);
  const ids = useId();

  useEffect(() => {
    remembered = { search, type, group };
    // The address follows the group filter (replaced, so Back does not walk through the filters).
    const address = href({ name: 'resources', ...(group === undefined ? {} : { group }) });
    if (window.location.hash !== address) window.history.replaceState(null, '', address);
  }, [search, type, group]);

  useEffect(() => {
    api.resourceTypes().then(
      (answer) => setTypes(answer.items),
      () => setTypes([]),
    );
    api.resourceGroups().then(
      (answer) => setGroups(answer.items),
      () => setGroups([]),
    );
  }, []);

  const loadPage = useCallback(
    (page: number) => {
      const current = store.current;
      if (current.pages.has(page) || current.loading.has(page)) return;
      current.loading.add(page);
      api
        .resources(
          { search: query, type, group, offset: page * PAGE_SIZE, limit: PAGE_SIZE },
          current.controller.signal,
        )
        .then(
          (answer) => {
            current.loading.delete(page);
            if (store.current !== current) return;
            current.pages.set(page, answer.items);
            setTotal(answer.total);
            setError(undefined);
            setVersion((v) => v + 1);
          },
          (err: unknown) => {
            current.loading.delete(page);
            if (store.current !== current || (err instanceof DOMException && err.name === 'AbortError'))
              return;
            if (err instanceof ApiError && err.status === 401) return;
            setError(err instanceof Error ? err.message : String(err));
          },
        );
    },
    [query, type, group],
  );

  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollMargin: HEADER_HEIGHT,
  });

  // A new search or filter starts again from the first page, at the top.
  useEffect(() => {
    store.current.controller.abort();
    store.current = newPages(queryKey);
    setTotal(undefined);
    setError(undefined);
    scrollRef.current?.scrollTo({ top: 0 });
    loadPage(0);
    return () => store.current.controller.abort();
  }, [queryKey, loadPage]);

  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  // Fetch the pages the visible rows (and the overscan) fall on.
  useEffect(() => {
    if (total === undefined || total === 0) return;
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++)
      loadPage(page);
  }, [first, last, total, loadPage]);

  function row(index: number): ResourceSummary | undefined {
    return store.current.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  const searching = search.trim() !== query;
  return (
    <>
      <div className="page-title-row">
        <Heading title="Resources">Resources</Heading>
        <a className="button primary" href="#/resources/new">
          New resource
        </a>
      </div>
      <div className="filters" role="search" aria-label="Filter resources">
        <div className="field">
          <label htmlFor={`${ids}-search`}>Search resources</label>
          <input
            id={`${ids}-search`}
            type="search"
            value={search}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${ids}-search-hint`}
            onChange={(e) => setSearch(e.target.value)}
          />
          <p id={`${ids}-search-hint`} className="hint">
            Matches the name, DNS name or description.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-type`}>Type</label>
          <select id={`${ids}-type`} value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">All types</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
            {type !== '' && !types.includes(type) ? <option value={type}>{type}</option> : null}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-group`}>Resource group</label>
          <select
            id={`${ids}-group`}
            value={group === undefined ? '' : String(group)}
            onChange={(e) => setGroup(e.target.value === '' ? undefined : Number(e.target.value))}
          >
            <option value="">All groups</option>
            {groups.map((g) => (
              <option key={g.id} value={String(g.id)}>
                {g.name}
              </option>
            ))}
            {group !== undefined && !groups.some((g) => g.id === group) ? (
              <option value={String(group)}>Group {group}</option>
            ) : null}
          </select>
        </div>
      </div>
      <p className="count" role="status" aria-live="polite" aria-busy={searching || total === undefined}>
        {total === undefined ? 'Loading resources…' : countText(total)}
      </p>
      {error ? (
        <div role="alert" className="alert alert-error">
          {error}{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setError(undefined);
              loadPage(Math.floor(first / PAGE_SIZE));
            }}
          >
            Try again
          </button>
        </div>
      ) : null}
      {total === 0 ? (
        <p className="empty">
          {query !== '' || type !== '' || group !== undefined ? (
            'No resources match this search.'
          ) : (
            <>
              There are no resources yet. <a href="#/resources/new">Add the first one</a>.
            </>
          )}
        </p>
      ) : (
        <div className="table-scroller" ref={scrollRef}>
          <div
            role="table"
            className="resource-table"
            aria-label="Resources"
            aria-rowcount={total === undefined ? -1 : total + 1}
            aria-describedby={`${ids}-table-hint`}
          >
            <div role="rowgroup" className="table-head">
              <div role="row" className="resource-row" aria-rowindex={1}>
                <span role="columnheader">Name</span>
                <span role="columnheader">Type</span>
                <span role="columnheader" className="col-dns">
                  DNS name
                </span>
                <span role="columnheader" className="col-accounts">
                  Accounts
                </span>
              </div>
            </div>
            <div role="rowgroup" className="table-body" style={{ height: virtualizer.getTotalSize() }}>
              {items.map((item) => {
                const resource = row(item.index);
                return (
                  <div
                    key={item.key}
                    role="row"
                    className="resource-row"
                    aria-rowindex={item.index + 2}
                    style={{ transform: `translateY(${item.start - HEADER_HEIGHT}px)` }}
                  >
                    {resource ? (
                      <>
                        <span role="cell" className="col-name">
                          <a href={`#/resources/${resource.id}`}>{resource.name}</a>
                          {resource.description ? (
                            <span className="row-description">{resource.description}</span>
                          ) : null}
                        </span>
                        <span role="cell">{resource.type}</span>
                        <span role="cell" className="col-dns">
                          {resource.dnsName}
                        </span>
                        <span role="cell" className="col-accounts">
                          {resource.accountCount}
                        </span>
                      </>
                    ) : (
                      <span role="cell" className="loading-cell">
                        Loading…
                      </span>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
        </div>
      )}
      <p id={`${ids}-table-hint`} className="visually-hidden">
        The list loads more resources as you scroll.
      </p>
    </>
  );
}
