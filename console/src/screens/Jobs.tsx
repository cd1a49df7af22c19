import { useEffect, useRef, useState } from 'react';
import { api, ApiError, type Job } from '../api';
import { Heading } from '../components/Heading';
import { SelectField } from '../components/Field';
import { TableWrap } from '../components/TableWrap';
import { formatDateTime } from '../time';
import { progressText } from './certificates/DiscoveryDialog';

const PAGE_SIZE = 50;
const REFRESH_MS = 2000;

const KINDS: Record<string, string> = {
  'certificates.discover-range': 'Certificate discovery (range)',
  'certificates.expiry-check': 'Certificate expiry check',
  'sshkeys.discover-group': 'SSH key discovery',
  'rotation.rotate': 'Password rotation',
  'rotation.reconcile': 'Rotation reconciliation',
  'workflow.check-in-expired': 'Check-in of expired checkouts',
};

const STATUSES = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** Background jobs, newest first: kind, state, progress, times and error; refreshed while any runs. */
export function Jobs() {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ items: readonly Job[]; total: number } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const tableRef = useRef<HTMLTableElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    api.jobs({ offset, limit: PAGE_SIZE, status: status || undefined }, controller.signal).then(
      (answer) => {
        setPage(answer);
        setError(undefined);
        // While a job on this page runs, its progress is refreshed.
        if (answer.items.some((j) => j.status === 'running' || j.status === 'queued'))
          timer = window.setTimeout(() => setTick((t) => t + 1), REFRESH_MS);
      },
      (err: unknown) => {
        if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [status, offset, tick]);

  const total = page?.total ?? 0;
  return (
    <>
      <Heading title="Jobs">Jobs</Heading>
      <p>
        Long operations run in the background: certificate discovery over a range, rotations, scheduled
        checks.
      </p>
      <div className="filters" role="search" aria-label="Filter jobs">
        <SelectField
          label="State"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value);
            setOffset(0);
          }}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === '' ? 'Any state' : s}
            </option>
          ))}
        </SelectField>
      </div>
      <p className="count" role="status">
        {page === undefined ? 'Loading jobs…' : total === 1 ? '1 job' : `${total.toLocaleString('en')} jobs`}
      </p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
      {page && page.items.length > 0 ? (
        <TableWrap label="Jobs">
          <table className="accounts" aria-label="Jobs" ref={tableRef} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Progress</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((j) => (
                <tr key={j.id}>
                  <th scope="row">
                    {KINDS[j.kind] ?? j.kind}
                    <span className="cell-detail">Job {j.id}</span>
                  </th>
                  <td>
                    {j.status}
                    {j.maxAttempts > 1 ? (
                      <span className="cell-detail">
                        attempt {j.attempts} of {j.maxAttempts}
                      </span>
                    ) : null}
                  </td>
                  <td>
                    {j.progress.total !== null && j.progress.total > 0 ? (
                      <>
                        <progress
                          className="job-progress"
                          max={j.progress.total}
                          value={j.progress.done}
                          aria-label={`Progress of job ${j.id}`}
                        />
                        <span className="cell-detail">{progressText(j.progress.done, j.progress.total)}</span>
                      </>
                    ) : (
                      '—'
                    )}
                    {j.progress.note ? <span className="cell-detail">{j.progress.note}</span> : null}
                  </td>
                  <td className="nowrap">{j.startedAt === null ? '—' : formatDateTime(j.startedAt)}</td>
                  <td className="nowrap">{j.finishedAt === null ? '—' : formatDateTime(j.finishedAt)}</td>
                  <td className="multiline">{j.lastError ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : page ? (
        <p className="empty">No jobs.</p>
      ) : null}
      {total > PAGE_SIZE ? (
        <nav className="pager button-row" aria-label="Job pages">
          <button
            type="button"
            className="button"
            disabled={offset === 0}
            onClick={() => {
              setOffset(Math.max(0, offset - PAGE_SIZE));
              tableRef.current?.focus();
            }}
          >
            Previous<span className="visually-hidden"> page</span>
          </button>
          <button
            type="button"
            className="button"
            disabled={offset + PAGE_SIZE >= total}
            onClick={() => {
              setOffset(offset + PAGE_SIZE);
              tableRef.current?.focus();
            }}
          >
            Next<span className="visually-hidden"> page</span>
          </button>
        </nav>
      ) : null}
    </>
  );
}
