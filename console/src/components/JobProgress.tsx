import { useEffect, useId, useRef, useState } from 'react';
import { api, ApiError, type Job } from '../api';

const POLL_MS = 1000;

/** A count of a job's items as text: "3 of 8 hosts", "1 of 1 resource", "4 hosts". */
export function progressText(done: number, total: number | null, noun = 'host'): string {
  const plural = (n: number) => (n === 1 ? noun : `${noun}s`);
  return total === null ? `${done} ${plural(done)}` : `${done} of ${total} ${plural(total)}`;
}

/**
 * The job `jobId` polled every second while it is queued or running (every three after a failed
 * poll); `onUpdate` gets each answer. Answers the last poll's error, if it failed.
 */
export function useJobProgress(jobId: number | undefined, onUpdate: (job: Job) => void): string | undefined {
  const [error, setError] = useState<string | undefined>(undefined);
  const update = useRef(onUpdate);
  update.current = onUpdate;
  useEffect(() => {
    if (jobId === undefined) return;
    const controller = new AbortController();
    let timer: number | undefined;
    const poll = async () => {
      try {
        const job = await api.job(jobId, controller.signal);
        update.current(job);
        setError(undefined);
        if (job.status === 'queued' || job.status === 'running')
          timer = window.setTimeout(() => void poll(), POLL_MS);
      } catch (err) {
        if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setError(err instanceof Error ? err.message : String(err));
        timer = window.setTimeout(() => void poll(), POLL_MS * 3);
      }
    };
    void poll();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [jobId]);
  return error;
}

/**
 * A running job's progress bar with its label, and its state in words in a polite status region
 * (waiting, "3 of 8 hosts", done, cancelled after N, or failed with its error), then the poll's
 * error if there is one. `what` names the job in the label and the sentences ("Discovery").
 */
export function JobProgress({
  what,
  jobId,
  job,
  total,
  noun,
  pollError,
  testId,
}: {
  readonly what: string;
  readonly jobId: number;
  readonly job: Job | undefined;
  /** The count known when the job was started, until the job answers its own. */
  readonly total: number | null;
  readonly noun: string;
  readonly pollError: string | undefined;
  readonly testId?: string;
}) {
  const id = useId();
  const of = (done: number) => progressText(done, job?.progress.total ?? total, noun);
  const state =
    job === undefined || job.status === 'queued'
      ? 'Waiting to start…'
      : job.status === 'running'
        ? of(job.progress.done)
        : job.status === 'succeeded'
          ? `Done: ${of(job.progress.done)}`
          : job.status === 'cancelled'
            ? `The ${what.toLowerCase()} was cancelled after ${of(job.progress.done)}`
            : `The ${what.toLowerCase()} ${job.status}: ${job.lastError ?? ''}`;
  return (
    <>
      <label htmlFor={`${id}-progress`}>
        {what} progress (job {jobId})
      </label>
      <progress
        id={`${id}-progress`}
        className="job-progress"
        max={job?.progress.total ?? total ?? undefined}
        value={job?.progress.done ?? 0}
      />
      <p role="status" aria-live="polite" data-testid={testId}>
        {state}
      </p>
      {pollError ? (
        <p role="alert" className="alert alert-error">
          {pollError}
        </p>
      ) : null}
    </>
  );
}
