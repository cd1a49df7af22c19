import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  api,
  ApiError,
  auditQuery,
  type AuditFilters,
  type AuditRecord,
  type ChainVerification,
} from '../api';
import { TableWrap } from '../components/TableWrap';
import { Heading } from '../components/Heading';
import { formatDateTime, localMidnight } from '../time';

const PAGE_SIZE = 100;

interface Form {
  readonly type: '' | 'Resource' | 'User';
  readonly operation: string;
  readonly user: string;
  readonly search: string;
  /** <input type=date> values (YYYY-MM-DD) or ''. */
  readonly fromDate: string;
  readonly toDate: string;
}

const EMPTY: Form = { type: '', operation: '', user: '', search: '', fromDate: '', toDate: '' };

/** The form as the API's filters: From is local midnight, To the next day's (exclusive). */
function filtersOf(form: Form): AuditFilters {
  return {
    type: form.type,
    operation: form.operation,
    user: form.user,
    search: form.search,
    from: localMidnight(form.fromDate),
    to: localMidnight(form.toDate, 1),
  };
}

/** The filters and page kept in memory while you look elsewhere. */
let remembered: { form: Form; offset: number } = { form: EMPTY, offset: 0 };

type Verification =
  | { readonly state: 'running' }
  | { readonly state: 'done'; readonly result: ChainVerification }
  | { readonly state: 'failed'; readonly message: string };

function target(record: AuditRecord): string {
  const parts = [record.resourceName, record.accountName].filter((p): p is string => !!p);
  const on = parts.join(' / ');
  if (record.targetUser) return on ? `${on} (user ${record.targetUser})` : `User ${record.targetUser}`;
  return on || '—';
}

/** The audit trail: filters, server-side paging, CSV export and chain verification. */
export function Audit() {
  const [form, setForm] = useState<Form>(remembered.form);
  const [applied, setApplied] = useState<Form>(remembered.form);
  const [offset, setOffset] = useState(remembered.offset);
  const [operations, setOperations] = useState<readonly string[]>([]);
  const [page, setPage] = useState<{ total: number; items: readonly AuditRecord[] } | undefined>(undefined);
  const [error, setError] = useState<{ message: string; field?: string | undefined } | undefined>(undefined);
  const [forbidden, setForbidden] = useState(false);
  const [loading, setLoading] = useState(true);
  const [verification, setVerification] = useState<Verification | undefined>(undefined);
  const tableRef = useRef<HTMLTableElement>(null);
  const ids = useId();

  useEffect(() => {
    remembered = { form: applied, offset };
  }, [applied, offset]);

  useEffect(() => {
    api.auditOperations().then(
      (answer) => setOperations(answer.items),
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 403) setForbidden(true);
      },
    );
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    api.audit(filtersOf(applied), { offset, limit: PAGE_SIZE }, controller.signal).then(
      (answer) => {
        setPage(answer);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setLoading(false);
        if (err instanceof ApiError && err.status === 403) setForbidden(true);
        else
          setError({
            message: err instanceof Error ? err.message : String(err),
            field: err instanceof ApiError ? err.field : undefined,
          });
      },
    );
    return () => controller.abort();
  }, [applied, offset]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setVerification(undefined);
    setOffset(0);
    setApplied(form);
  }

  function reset() {
    setForm(EMPTY);
    setOffset(0);
    setApplied(EMPTY);
  }

  function go(to: number) {
    setOffset(to);
    tableRef.current?.focus();
  }

  async function verify() {
    setVerification({ state: 'running' });
    try {
      setVerification({ state: 'done', result: await api.verifyAudit() });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setVerification({ state: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  }

  if (forbidden)
    return (
      <>
        <Heading title="Audit">Audit</Heading>
        <p role="alert" className="alert alert-error">
          You do not have access to the audit trail. Administrators and password auditors do.
        </p>
      </>
    );

  const toError = error?.field === 'query.to' || error?.field === 'query.from' ? error.message : undefined;
  const exportHref = `/api/v1/audit/export?${auditQuery(filtersOf(applied)).toString()}`;
  const total = page?.total ?? 0;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + PAGE_SIZE, total);
  const set = (field: keyof Form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [field]: e.target.value }));

  return (
    <>
      <div className="page-title-row">
        <Heading title="Audit">Audit</Heading>
        <span className="button-row">
          <a className="button" href={exportHref} download>
            Export CSV
          </a>
          <button
            type="button"
            className="button"
            disabled={verification?.state === 'running'}
            onClick={() => void verify()}
          >
            Verify chain
          </button>
        </span>
      </div>
      <div
        role="status"
        aria-live="polite"
        className={
          verification?.state === 'done'
            ? verification.result.ok
              ? 'notice verification'
              : 'alert alert-error verification'
            : verification?.state === 'failed'
              ? 'alert alert-error verification'
              : 'verification'
        }
      >
        {verification?.state === 'running' ? 'Verifying the chain…' : null}
        {verification?.state === 'failed' ? `The chain could not be verified: ${verification.message}` : null}
        {verification?.state === 'done' && verification.result.ok
          ? `Chain intact: ${verification.result.checked.toLocaleString('en')} records verified`
          : null}
        {verification?.state === 'done' && !verification.result.ok ? (
          <>
            Chain broken: {verification.result.problemCount.toLocaleString('en')} problem
            {verification.result.problemCount === 1 ? '' : 's'} in{' '}
            {verification.result.checked.toLocaleString('en')} records.
            <ul>
              {verification.result.problems.map((p) => (
                <li key={`${p.seq}-${p.kind}`}>
                  Record {p.seq}: {p.message}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
      <form className="audit-filters" role="search" aria-label="Filter the audit trail" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${ids}-type`}>Type</label>
          <select id={`${ids}-type`} value={form.type} onChange={set('type')}>
            <option value="">All</option>
            <option value="Resource">Resource</option>
            <option value="User">User</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-operation`}>Operation</label>
          <select id={`${ids}-operation`} value={form.operation} onChange={set('operation')}>
            <option value="">All operations</option>
            {operations.map((op) => (
              <option key={op} value={op}>
                {op}
              </option>
            ))}
            {form.operation !== '' && !operations.includes(form.operation) ? (
              <option value={form.operation}>{form.operation}</option>
            ) : null}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-user`}>User</label>
          <input
            id={`${ids}-user`}
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={form.user}
            onChange={set('user')}
          />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-search`}>Search</label>
          <input
            id={`${ids}-search`}
            type="search"
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${ids}-search-hint`}
            value={form.search}
            onChange={set('search')}
          />
          <p id={`${ids}-search-hint`} className="hint">
            Resource, account, reason, ticket…
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-from`}>From</label>
          <input id={`${ids}-from`} type="date" value={form.fromDate} onChange={set('fromDate')} />
        </div>
        <div className={toError ? 'field field-invalid' : 'field'}>
          <label htmlFor={`${ids}-to`}>To</label>
          <input
            id={`${ids}-to`}
            type="date"
            value={form.toDate}
            min={form.fromDate || undefined}
            aria-invalid={toError ? true : undefined}
            aria-describedby={toError ? `${ids}-to-error` : `${ids}-to-hint`}
            onChange={set('toDate')}
          />
          {toError ? (
            <p id={`${ids}-to-error`} className="field-error">
              {toError}
            </p>
          ) : (
            <p id={`${ids}-to-hint`} className="hint">
              Includes the whole day.
            </p>
          )}
        </div>
        <p className="button-row audit-filter-buttons">
          <button type="submit" className="button primary">
            Apply filters
          </button>
          <button type="button" className="button" onClick={reset}>
            Clear
          </button>
        </p>
      </form>
      <p className="count" role="status" aria-live="polite" aria-busy={loading}>
        {page === undefined
          ? 'Loading the audit trail…'
          : total === 0
            ? 'No records match these filters'
            : `Showing ${first.toLocaleString('en')}–${last.toLocaleString('en')} of ${total.toLocaleString('en')}`}
      </p>
      {error && !toError ? (
        <p role="alert" className="alert alert-error">
          {error.message}
        </p>
      ) : null}
      {page && page.items.length > 0 ? (
        <TableWrap label="Audit records">
          <table className="accounts audit-table" aria-label="Audit records" ref={tableRef} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Operation</th>
                <th scope="col">User</th>
                <th scope="col">Resource / account</th>
                <th scope="col">Reason</th>
                <th scope="col">Client IP</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr key={r.seq}>
                  <td className="nowrap">{formatDateTime(r.at)}</td>
                  <td>
                    {r.operation}
                    <span className="cell-detail">{r.auditType}</span>
                  </td>
                  <td>{r.operatorName}</td>
                  <td>{target(r)}</td>
                  <td className="multiline">
                    {r.reason ?? '—'}
                    {r.ticketId ? <span className="cell-detail">Ticket: {r.ticketId}</span> : null}
                  </td>
                  <td>
                    {r.clientIp}
                    <span className="cell-detail">{r.client}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {total > PAGE_SIZE ? (
        <nav className="pager button-row" aria-label="Audit pages">
          <button
            type="button"
            className="button"
            disabled={offset === 0 || loading}
            onClick={() => go(Math.max(0, offset - PAGE_SIZE))}
          >
            Previous<span className="visually-hidden"> page</span>
          </button>
          <button
            type="button"
            className="button"
            disabled={offset + PAGE_SIZE >= total || loading}
            onClick={() => go(offset + PAGE_SIZE)}
          >
            Next<span className="visually-hidden"> page</span>
          </button>
        </nav>
      ) : null}
    </>
  );
}
