/**
 * wrk (Debian's package, 4.1 with LuaJIT) as the benchmarks' load generator: a C client on its
 * own threads, not a Node process competing with the server's event loop for the same cores.
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const RETRIEVAL_SCRIPT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'wrk',
  'retrieval.lua',
);

/** Exits with the install command when wrk is not on the PATH. */
export function requireWrk(): void {
  const probe = spawnSync('wrk', ['--version'], { stdio: 'ignore' });
  if (probe.error) {
    console.error('wrk is not installed: apt-get install -y wrk');
    process.exit(1);
  }
}

export interface WrkSummary {
  readonly rps: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx or 3xx answers. */
  readonly errors: number;
}

/** wrk's own summary: requests per second and the latency percentiles it prints with --latency. */
export function parseWrkSummary(stdout: string): WrkSummary {
  const ms = (label: string) => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    if (!m) throw new Error(`wrk printed no ${label}th percentile:\n${stdout}`);
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
  return { rps: Number(rps?.[1] ?? 0), p50: ms('50'), p99: ms('99'), errors: Number(non2xx?.[1] ?? 0) };
}

export interface RetrievalRun {
  readonly requests: number;
  readonly rps: number;
  /** Milliseconds, from the actual send (wrk's measure). */
  readonly p50: number;
  readonly p99: number;
  /** Milliseconds a send was late against its slot, at a fixed rate (NaN in a closed loop). */
  readonly lateP99: number;
  readonly lateMax: number;
}

export interface RetrievalOptions {
  readonly url: string;
  /** A file of request paths, one a line. */
  readonly pathsFile: string;
  /** AUTHTOKEN header; none when the caller authenticates otherwise (client certificate). */
  readonly token?: string;
  readonly seconds: number;
  readonly connections: number;
  readonly threads: number;
  /** Total requests per second; absent: closed loop. */
  readonly rate?: number;
}

/**
 * Runs bench/wrk/retrieval.lua and answers its figures; throws (loudly) when any answer was not
 * HTTP 200 with "status":"Success", or any socket failed.
 */
export async function runRetrieval(o: RetrievalOptions): Promise<RetrievalRun> {
  const { stdout } = await run(
    'wrk',
    [
      `-t${o.threads}`,
      `-c${o.connections}`,
      `-d${o.seconds}s`,
      '--timeout',
      '10s',
      '-s',
      RETRIEVAL_SCRIPT,
      o.url,
      '--',
      o.pathsFile,
      o.token ?? '-',
      String(Math.round(o.rate ?? 0)),
      String(o.threads),
    ],
    { maxBuffer: 1 << 20 },
  );
  const line = /^BENCH (.*)$/m.exec(stdout)?.[1];
  if (!line) throw new Error(`wrk printed no BENCH line:\n${stdout}`);
  const f = Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string]));
  const n = (k: string) => Number(f[k]);
  if (n('failures') > 0 || n('socket_errors') > 0 || n('requests') === 0)
    throw new Error(
      `${o.url}: ${n('failures')} of ${n('answers')} answers were not a success, ${n('socket_errors')} socket errors`,
    );
  const late = (k: string) => (n(k) < 0 ? NaN : n(k) / 1000);
  return {
    requests: n('requests'),
    rps: n('requests') / (n('duration_us') / 1e6),
    p50: n('p50_us') / 1000,
    p99: n('p99_us') / 1000,
    lateP99: late('late_p99_us'),
    lateMax: late('late_max_us'),
  };
}
