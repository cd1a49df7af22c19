/**
 * Rotation benchmark (issue 12, ADR 029): rotate BENCH_ACCOUNTS (500) real local accounts on a real
 * local sshd, in one resource group, at concurrency 1, 8 and 32, with one blackholed host (a TCP
 * listener that accepts and never answers) in the set. Each run is a real bulk rotation (the same
 * code as `bulwark rotate --group`): per account a fresh password of the Strong policy, `passwd`
 * over SSH, a login with the new password, the vault's commit and audit. Prints accounts per
 * second and the p50/p99 of one reset, per concurrency.
 *
 * Needs root (useradd, sshd). Creates the accounts, removes them at the end.
 *
 *   npm run bench:rotation
 *   BENCH_ACCOUNTS=100 BENCH_CONCURRENCY=1,8 npm run bench:rotation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { openInstance } from '../src/instance.js';
import { systemClock } from '../src/platform/clock.js';
import type { BulkItemOutcome } from '../src/modules/rotation/bulk-rotation.js';
import {
  blackholedPort,
  canLogIn,
  createUsers,
  removeUsers,
  sshdProblem,
  startSshd,
  type LocalUser,
} from '../test/helpers/sshd.js';
import { benchEnv, initAndServe, stopChild, type Child } from './harness.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 500);
const PER_RESOURCE = 50;
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 30);
const V1 = '/restapi/json/v1';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const problem = sshdProblem();
  if (problem) throw new Error(`cannot run: ${problem}`);
  const work = mkdtempSync(path.join(tmpdir(), 'bulwark-bench-rotation-'));
  const dataDir = path.join(work, 'data');
  const env = benchEnv();
  const sshd = await startSshd();
  const blackhole = await blackholedPort();
  let server: Child | undefined;
  try {
    process.stderr.write(`creating ${ACCOUNTS + 1} local accounts…\n`);
    const setupStarted = performance.now();
    const users = createUsers(ACCOUNTS);
    const [silentUser] = createUsers(1);
    process.stderr.write(`  ${((performance.now() - setupStarted) / 1000).toFixed(1)} s\n`);

    // The vault's side through the real API: resources of PER_RESOURCE accounts on the sshd, one on
    // the blackholed port, all configured for remote reset (each account changes its own password).
    const started = await initAndServe(dataDir, env);
    server = started.server;
    const pool = new Pool(`https://127.0.0.1:${server.port}`, {
      connections: 4,
      connect: { rejectUnauthorized: false },
    });
    const call = async (method: string, urlPath: string, details?: unknown) => {
      const res = await pool.request({
        method,
        path: urlPath,
        headers: { AUTHTOKEN: started.authToken, 'content-type': 'text/json' },
        body:
          details === undefined
            ? undefined
            : `INPUT_DATA=${encodeURIComponent(JSON.stringify({ operation: { Details: details } }))}`,
      });
      const answer = JSON.parse(await res.body.text());
      if (answer.operation.result.status !== 'Success')
        throw new Error(`${urlPath}: ${answer.operation.result.message}`);
      return answer.operation;
    };
    const resourceIds: string[] = [];
    const addResource = async (name: string, accounts: readonly LocalUser[], port: number) => {
      const [first, ...rest] = accounts;
      const created = await call('POST', `${V1}/resources`, {
        RESOURCENAME: name,
        RESOURCETYPE: 'Linux',
        DNSNAME: sshd.host,
        RESOURCEPASSWORDPOLICY: 'Strong',
        ACCOUNTNAME: first!.name,
        PASSWORD: first!.password,
      });
      const id = String(created.Details.RESOURCEID);
      if (rest.length > 0)
        await call('POST', `${V1}/resources/${id}/accounts`, {
          ACCOUNTLIST: rest.map((u) => ({ ACCOUNTNAME: u.name, PASSWORD: u.password })),
        });
      await call('POST', `${V1}/resources/configureremotepasswordreset`, {
        RESOURCEIDS: [id],
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
      });
      resourceIds.push(id);
    };
    for (let i = 0; i < users.length; i += PER_RESOURCE)
      await addResource(`bench-${i / PER_RESOURCE}`, users.slice(i, i + PER_RESOURCE), sshd.port);
    await addResource('bench-blackholed', [silentUser!], blackhole.port);
    const group = await call('POST', `${V1}/resourcegroup`, {
      RESOURCEGROUPNAME: 'bench',
      GROUPTYPE: 'STATIC',
    });
    const groupId = Number(group.Details.RESOURCEGROUPID);
    await call('POST', `${V1}/resourcegroup/${groupId}/associateResources`, { RESOURCEIDS: resourceIds });
    await pool.close();
    await stopChild(server.child);
    server = undefined;

    // The measurement, in this process: the bulk rotation the CLI runs.
    const instance = await openInstance(loadConfig(env, { dataDir }), systemClock);
    const rows: string[] = [];
    try {
      const actor = { userId: null, username: 'bench', clientIp: '127.0.0.1', client: 'CLI' };
      for (const concurrency of CONCURRENCY) {
        const outcomes: BulkItemOutcome[] = [];
        const summary = await instance.services.schedules.rotateGroup(actor, undefined, groupId, {
          concurrency,
          timeoutMs: TIMEOUT_SECONDS * 1000,
          onItem: (o) => void outcomes.push(o),
        });
        const changed = outcomes.filter((o) => o.status === 'changed');
        const times = changed.map((o) => o.elapsedMs).sort((a, b) => a - b);
        const blackholed = outcomes.find((o) => o.label.endsWith(`/${silentUser!.name}`));
        rows.push(
          [
            String(concurrency).padStart(11),
            String(summary.total).padStart(8),
            String(summary.changed).padStart(7),
            String(summary.failed.length + summary.unsettled.length).padStart(10),
            (summary.elapsedMs / 1000).toFixed(1).padStart(9),
            (changed.length / (summary.elapsedMs / 1000)).toFixed(1).padStart(10),
            percentile(times, 50).toFixed(0).padStart(8),
            percentile(times, 99).toFixed(0).padStart(8),
            `${blackholed?.status ?? '?'} (${blackholed?.reason ?? ''}, ${((blackholed?.elapsedMs ?? 0) / 1000).toFixed(1)} s)`.padStart(
              24,
            ),
          ].join(' '),
        );
        process.stderr.write(`concurrency ${concurrency}: done\n`);
        for (const o of [...summary.failed, ...summary.unsettled])
          if (o !== blackholed)
            process.stderr.write(`  not changed: ${o.label}: ${o.reason}: ${o.message}\n`);
      }
      // Spot check: the vault's current password opens the target.
      const sample = users[0]!;
      const vaultNow = await instance.database.db
        .selectFrom('accounts')
        .select('id')
        .where('name', '=', sample.name)
        .executeTakeFirstOrThrow();
      const verified = await instance.services.rotation.verify(actor, Number(vaultNow.id));
      if (verified.status !== 'opens') throw new Error(`spot check: ${verified.status} ${verified.message}`);
      if (await canLogIn(sshd, sample.name, sample.password))
        throw new Error('spot check: the original password still opens the account');
    } finally {
      await instance.close();
    }

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    process.stdout.write(
      `\nRotation benchmark: ${ACCOUNTS} accounts on a local sshd (${Math.ceil(ACCOUNTS / PER_RESOURCE)} resources) + 1 blackholed host, ` +
        `timeout ${TIMEOUT_SECONDS} s per target; ${cpus().length} × ${cpu}; ${new Date().toISOString()}\n\n` +
        `concurrency accounts changed not chgd. elapsed s accounts/s  p50 ms  p99 ms       blackholed host\n` +
        rows.join('\n') +
        '\n',
    );
  } finally {
    if (server) await stopChild(server.child);
    await blackhole.close();
    await sshd.stop();
    removeUsers();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
