/**
 * The retrieval benchmark's tables (Markdown, aligned as prettier aligns them) and their place in
 * docs/performance.md, between the bench:retrieval marker comments.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RetrievalRun } from './wrk.js';

export interface StoreResult {
  readonly store: 'SQLite' | 'PostgreSQL';
  readonly accounts: number;
  readonly seedSeconds: number;
  readonly startSeconds: number;
  /** MiB: the largest VmRSS sampled under load, and VmHWM (the peak since start) after it. */
  readonly rssUnderLoad: number;
  readonly hwm: number;
  readonly admin: RetrievalRun;
  readonly bare: RetrievalRun;
  readonly shared: RetrievalRun;
  readonly a2a?: { readonly token: RetrievalRun; readonly cert: RetrievalRun };
  readonly fixed: readonly { readonly share: number; readonly run: RetrievalRun }[];
}

const TARGETS = {
  SQLite: { ratio: 0.5, p99: 10 },
  PostgreSQL: { ratio: 0.3, p99: 20 },
} as const;

/** A Markdown table; `right` marks the right-aligned (numeric) columns. */
function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, c) => Math.max(3, h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((s, c) => (right[c] ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (right[c] ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (Number.isNaN(n) ? '–' : `${n.toFixed(2)} ms`);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const met = (ok: boolean) => (ok ? 'met' : '**not met**');

export function tables(results: readonly StoreResult[]): string {
  const main = table(
    ['store', 'accounts', 'Bulwark req/s', 'bare node:https req/s', 'ratio', 'p99', 'target (ratio, p99)'],
    results.map((r) => {
      const t = TARGETS[r.store];
      const ok = r.admin.rps / r.bare.rps >= t.ratio && r.admin.p99 <= t.p99;
      return [
        r.store,
        int(r.accounts),
        int(r.admin.rps),
        int(r.bare.rps),
        ratio(r.admin.rps, r.bare.rps),
        ms(r.admin.p99),
        `≥ ${t.ratio}, ≤ ${t.p99} ms: ${met(ok)}`,
      ];
    }),
    [false, true, true, true, true, true, false],
  );
  const callerRows: string[][] = [];
  for (const r of results) {
    const row = (caller: string, run: RetrievalRun, of?: RetrievalRun) => {
      const share = of ? run.rps / of.rps : NaN;
      callerRows.push([
        r.store,
        caller,
        int(run.rps),
        ms(run.p99),
        of ? ratio(run.rps, of.rps) : '1.00',
        of ? met(share >= 0.9) : '',
      ]);
    };
    row('super admin (owner), token', r.admin);
    row('Password User through a share, token', r.shared, r.admin);
    if (r.a2a) {
      row('super admin token, through stunnel', r.a2a.token);
      row('A2A client certificate, through stunnel', r.a2a.cert, r.a2a.token);
    }
  }
  const callers = table(['store', 'caller', 'req/s', 'p99', 'of the owner', 'within 10 %'], callerRows, [
    false,
    false,
    true,
    true,
    true,
    false,
  ]);
  const fixed = table(
    ['store', 'fixed rate', 'req/s done', 'p50', 'p99', 'send lateness p99', 'lateness max'],
    results.flatMap((r) =>
      r.fixed.map((f) => [
        r.store,
        `${Math.round(f.share * 100)} % of max (${int(f.share * r.admin.rps)}/s)`,
        int(f.run.rps),
        ms(f.run.p50),
        ms(f.run.p99),
        ms(f.run.lateP99),
        ms(f.run.lateMax),
      ]),
    ),
    [false, false, true, true, true, true, true],
  );
  const scale = table(
    ['store', 'accounts', 'seeded in', 'accounts/s', 'start to listening', 'RSS under load', 'VmHWM'],
    results.map((r) => [
      r.store,
      int(r.accounts),
      `${r.seedSeconds.toFixed(1)} s`,
      int(r.accounts / r.seedSeconds),
      `${r.startSeconds.toFixed(2)} s`,
      `${r.rssUnderLoad.toFixed(0)} MiB`,
      `${r.hwm.toFixed(0)} MiB`,
    ]),
    [false, true, true, true, true, true, true],
  );
  return [main, callers, fixed, scale].join('\n\n');
}

/** The machine and the settings, for the line under the tables; `startLoad`: loadavg()[0] at the start. */
export function settingsLine(o: {
  seconds: number;
  connections: number;
  threads: number;
  startLoad: number;
}): string {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cpus = availableParallelism();
  const endLoad = loadavg()[0]!;
  const busy =
    Math.max(o.startLoad, endLoad) > cpus / 2
      ? ' The machine was busy with other work (load average above half its CPUs besides this bench): the figures are low and noisy.'
      : '';
  return (
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus} ` +
    `CPUs (${cpu}), load average ${o.startLoad.toFixed(2)} at the start and ${endLoad.toFixed(2)} at the end, ` +
    `load generator and databases on the same machine; wrk -t${o.threads} -c${o.connections}, ` +
    `${o.seconds} s a row, Node ${process.version}.${busy}`
  );
}

const DOCS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'performance.md');
const START = '<!-- bench:retrieval:start -->';
const END = '<!-- bench:retrieval:end -->';

/** Replaces what is between the markers in docs/performance.md. */
export function writeDocs(block: string): void {
  const text = readFileSync(DOCS, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOCS} has no ${START} … ${END} markers`);
  writeFileSync(DOCS, `${text.slice(0, a + START.length)}\n\n${block}\n\n${text.slice(b)}`);
}
