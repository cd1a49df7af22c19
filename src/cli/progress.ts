/**
 * Progress of a long CLI operation: a bar redrawn in place on a terminal, plain lines otherwise
 * (logs, pipes, CI), so output read by a program is one line per finished item.
 */

export interface ProgressItem {
  /** What finished, e.g. `resource/account`. */
  readonly label: string;
  /** e.g. changed, failed, unsettled. */
  readonly status: string;
  /** Shown on plain lines for anything but success (never a secret). */
  readonly message?: string;
}

export interface Progress {
  /** After each item: `done` of `total` finished. */
  item(item: ProgressItem, done: number): void;
  /** Clears the bar (on a terminal); plain output needs nothing. */
  finish(): void;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

const BAR_WIDTH = 30;

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** A progress display for `total` items on `stream`; `now` is the clock of the elapsed time. */
export function createProgress(
  stream: ProgressStream,
  total: number,
  now: () => number = () => performance.now(),
): Progress {
  const started = now();
  const counts = new Map<string, number>();
  if (!stream.isTTY) {
    const width = String(total).length;
    return {
      item(item, done) {
        const why = item.status === 'changed' || !item.message ? '' : `: ${item.message}`;
        stream.write(`[${String(done).padStart(width)}/${total}] ${item.label}: ${item.status}${why}\n`);
      },
      finish() {},
    };
  }
  let drawn = false;
  return {
    item(item, done) {
      counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
      const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
      const tally = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      let line = `[${bar}] ${done}/${total} ${percent}% ${formatSeconds(now() - started)}  ${tally}`;
      const columns = stream.columns ?? 80;
      if (line.length > columns - 1) line = line.slice(0, columns - 1);
      // Carriage return and clear-to-end-of-line: the bar is redrawn in place.
      stream.write(`\r${line}\u001b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\u001b[K');
    },
  };
}
