import { useEffect, useRef, useState } from 'react';
import { api, ApiError, type Job } from '../api';
import { Heading } from '../components/Heading';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { SelectField } from '../components/Field';
import { TableWrap } from '../components/TableWrap';
import { formatDateTime } from '../time';
import { progressText } from '../components/JobProgress';

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

const kindOf = (j: Job) => KINDS[j.kind] ?? j.kind;

/** A job that may still be cancelled: unfinished, and no cancel asked yet. */
const cancellable = (j: Job) =>
  (j.status === 'queued' || j.status === 'running') && j.cancelRequestedAt === null;

/** The state in words: a running job whose cancel was asked is stopping at its next safe point. */
function stateOf(j: Job): string {
  if (j.status === 'running' && j.cancelRequestedAt !== null) return 'stopping (cancel asked)';
  return j.status;
}

/**
 * Background jobs, newest first: kind, state, progress, times and error; refreshed while any runs.
 * The server lists only the jobs the caller may see, and those are the ones they may cancel (their
 * own, or every job for administrators): `Cancel` shows on each unfinished one.
 */
export function Jobs() {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ items: readonly Job[]; total: number } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const tableRef = useRef<HTMLTableElement>(null);
  const [confirm, setConfirm] = useState<{ job: Job; opener: HTMLElement } | undefined>(undefined);
  const [announcement, setAnnouncement] = useState('');
  const [focusTable, setFocusTable] = useState(false);

  // After a cancel the row's button is gone (in the same render as the dialog, so the dialog does
  // not return the focus to it): the focus goes to the table rather than to nothing.
  useEffect(() => {
    if (!focusTable) return;
    tableRef.current?.focus();
    setFocusTable(false);
  }, [focusTable]);

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
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
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
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((j) => (
                <tr key={j.id}>
                  <th scope="row">
                    {kindOf(j)}
                    <span className="cell-detail">Job {j.id}</span>
                  </th>
                  <td>
                    {stateOf(j)}
                    {j.cancelRequestedAt !== null ? (
                      <span className="cell-detail">cancel asked {formatDateTime(j.cancelRequestedAt)}</span>
                    ) : null}
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
                  <td>
                    {cancellable(j) ? (
                      <button
                        type="button"
                        className="button"
                        onClick={(e) => setConfirm({ job: j, opener: e.currentTarget })}
                      >
                        Cancel<span className="visually-hidden"> job {j.id}</span>
                      </button>
                    ) : null}
                  </td>
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
      {confirm ? (
        <ConfirmDialog
          title={`Cancel job ${confirm.job.id}?`}
          confirmLabel="Cancel job"
          dismissLabel="Keep it"
          opener={confirm.opener}
          onClose={() => setConfirm(undefined)}
          onConfirm={async () => {
            const { outcome, job } = await api.cancelJob(confirm.job.id);
            setPage((p) => p && { ...p, items: p.items.map((j) => (j.id === job.id ? job : j)) });
            setConfirm(undefined);
            setFocusTable(true);
            setAnnouncement(
              outcome === 'cancelled'
                ? `Job ${job.id} cancelled`
                : outcome === 'stopping'
                  ? `Job ${job.id} is stopping at its next safe point`
                  : `Job ${job.id} had already finished or was being cancelled`,
            );
            setTick((t) => t + 1);
          }}
        >
          <p>
            {kindOf(confirm.job)}, job {confirm.job.id}.{' '}
            {confirm.job.status === 'queued'
              ? 'It has not started and will not run.'
              : 'It stops at its next safe point: what is in progress (a host being probed, an account being rotated) finishes first, and what it has done is kept.'}
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
