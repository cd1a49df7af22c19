import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { createJobRunner, type JobRunner } from '../../src/platform/jobs/index.js';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { pmpClient, type PmpAnswer } from '../helpers/client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { sqlOn } from '../helpers/sql.js';
import {
  CLI,
  createInstance,
  dialects,
  postgresAvailable,
  serve,
  startServer,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';

const V1 = '/restapi/json/v1';

/**
 * The job API and CLI (ADR 024) against a real server on both dialects. The test process is a
 * second node: its own job runner on the server's database runs a job that reports progress,
 * which the server's endpoints and the CLI read while it runs.
 */
describe.each(dialects())('jobs on %s', (dialect) => {
  let server: RunningServer;
  let database: Database;
  let node: JobRunner;
  let admin: ReturnType<typeof pmpClient>;
  let rita: Actor;
  let ray: Actor;
  let release: () => void = () => undefined;
  let jobId = 0;

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    rita = await createApiUser(server, 'rita', 'Password User');
    ray = await createApiUser(server, 'ray', 'Password User');
    database = openDatabase({
      databaseUrl: server.instance.databaseUrl,
      sqliteFile: path.join(server.instance.dataDir, 'bulwark.db'),
    });
    node = createJobRunner({ database, clock: { now: () => Date.now() }, nodeId: 'test-node' });
    node.register('test.report', async (payload: { accounts: number }, ctx) => {
      await ctx.progress(0, payload.accounts, 'connecting');
      await ctx.progress(2, payload.accounts, 'rotating web-01');
      await new Promise<void>((resolve) => (release = resolve));
      await ctx.progress(payload.accounts, payload.accounts, 'done');
      return { rotated: payload.accounts };
    });
  });

  afterAll(async () => {
    release();
    await node?.stop();
    await database?.close();
    await server?.stop();
    server?.instance.remove();
  });

  const ok = (a: PmpAnswer) => expectSuccess(a);

  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('the server runs the checkout sweeper as a periodic job', async () => {
    const sweeps = await waitFor('a finished sweep', async () => {
      const answer = ok(
        await admin(`${V1}/jobs`, { query: { KIND: 'workflow.check-in-expired', STATUS: 'succeeded' } }),
      );
      return answer.totalRows! > 0 ? answer : undefined;
    });
    const sweep = sweeps.details[0];
    expect(sweep).toMatchObject({
      KIND: 'workflow.check-in-expired',
      STATUS: 'succeeded',
      ATTEMPTS: 1,
      RESULT: { checkedIn: 0 },
    });
    // Exactly one queued instance at a time.
    const queued = ok(
      await admin(`${V1}/jobs`, { query: { KIND: 'workflow.check-in-expired', STATUS: 'queued' } }),
    );
    expect(queued.totalRows).toBe(1);
  });

  it('shows a running job with its progress to its creator and to administrators', async () => {
    jobId = (await node.enqueue(
      database.db,
      'test.report',
      { accounts: 5 },
      { createdBy: Number(rita.id) },
    ))!;
    const run = node.runDue();
    const running = await waitFor('progress 2 of 5', async () => {
      const answer = ok(await rita.call(`${V1}/jobs/${jobId}`));
      return (answer.details as { PROGRESS: { DONE: number } }).PROGRESS.DONE === 2 ? answer : undefined;
    });
    expect(running.name).toBe('GET JOB');
    expect(running.details).toMatchObject({
      JOBID: String(jobId),
      KIND: 'test.report',
      STATUS: 'running',
      ATTEMPTS: 1,
      MAXATTEMPTS: 3,
      PROGRESS: { DONE: 2, TOTAL: 5, NOTE: 'rotating web-01' },
      LASTERROR: '',
      CREATEDBY: rita.id,
      NODE: 'test-node',
      FINISHEDTIME: 'N/A',
    });
    expect(ok(await admin(`${V1}/jobs/${jobId}`)).details).toMatchObject({ STATUS: 'running' });

    // The CLI reads it too, and follows it to the end (plain lines: stdout is not a terminal).
    const shown = await server.instance.cli(
      'jobs',
      'show',
      '--data-dir',
      server.instance.dataDir,
      '--id',
      String(jobId),
    );
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/Status:\s+running/);
    expect(shown.stdout).toMatch(/Progress:\s+2\/5 \(40%\)/);
    // `--follow` as a child process whose output the test watches: the job finishes only once
    // the follower has printed the running state.
    const follower = spawn(
      process.execPath,
      [CLI, 'jobs', 'show', '--data-dir', server.instance.dataDir, '--id', String(jobId), '--follow'],
      { env: server.instance.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    follower.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    follower.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('exit', resolve));
    await waitFor('the follower to show the running job', () =>
      Promise.resolve(stdout.includes('running') ? true : undefined),
    );
    release();
    expect(await run).toBe(1);
    expect(await exited, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`job ${jobId}  test.report  running  attempt 1/3  2/5 (40%)  rotating web-01`);
    expect(lines.at(-1)).toBe(`job ${jobId}  test.report  succeeded  attempt 1/3  5/5 (100%)  done`);
    expect(stdout).not.toMatch(/\r|\x1b/);

    const done = ok(await rita.call(`${V1}/jobs/${jobId}`));
    expect(done.details).toMatchObject({
      STATUS: 'succeeded',
      PROGRESS: { DONE: 5, TOTAL: 5, NOTE: 'done' },
      RESULT: { rotated: 5 },
      NODE: 'test-node',
    });
    expect((done.details as { FINISHEDTIME: string }).FINISHEDTIME).not.toBe('N/A');
  });

  it('lists jobs: administrators see all, a user only their own; filters by kind and status', async () => {
    const mine = ok(await rita.call(`${V1}/jobs`));
    expect(mine.name).toBe('GET JOBS');
    expect(mine.totalRows).toBe(1);
    expect(mine.details.map((j: { JOBID: string }) => j.JOBID)).toEqual([String(jobId)]);
    expect(ok(await ray.call(`${V1}/jobs`)).totalRows).toBe(0);
    // Someone else's job answers like a missing one.
    expectFailed(await ray.call(`${V1}/jobs/${jobId}`), `Job with ID ${jobId} does not exist`);
    expectFailed(await admin(`${V1}/jobs/999999`), 'Job with ID 999999 does not exist');

    const all = ok(await admin(`${V1}/jobs`, { query: { LIMIT: '1000' } }));
    const kinds = new Set(all.details.map((j: { KIND: string }) => j.KIND));
    // The administrator sees the test node's job and the server's own periodic jobs.
    expect(kinds).toContain('test.report');
    expect(kinds).toContain('workflow.check-in-expired');
    const reports = ok(await admin(`${V1}/jobs`, { query: { KIND: 'test.report' } }));
    expect(reports.totalRows).toBe(1);
    expect(
      ok(await admin(`${V1}/jobs`, { query: { KIND: 'test.report', STATUS: 'Failed' } })).totalRows,
    ).toBe(0);
    // Paging, newest first.
    const first = ok(await admin(`${V1}/jobs`, { query: { LIMIT: '1' } }));
    const second = ok(await admin(`${V1}/jobs`, { query: { LIMIT: '1', STARTINDEX: '2' } }));
    expect(first.details).toHaveLength(1);
    expect(Number(first.details[0].JOBID)).toBeGreaterThan(Number(second.details[0].JOBID));
    expect(first.totalRows).toBe(all.totalRows);
  });

  it('refuses bad filters and ids with a Failed answer', async () => {
    expectFailed(await admin(`${V1}/jobs`, { query: { STATUS: 'exploded' } }), /STATUS must be one of/);
    expectFailed(
      await admin(`${V1}/jobs`, { query: { LIMIT: '-1' } }),
      /LIMIT must be a positive whole number/,
    );
    expectFailed(await admin(`${V1}/jobs/abc`));
    expectFailed(await admin(`${V1}/jobs`, { token: null }));
  });

  it('bulwark jobs list filters and prints JSON', async () => {
    const listed = await server.instance.cli(
      'jobs',
      'list',
      '--data-dir',
      server.instance.dataDir,
      '--kind',
      'test.report',
      '--json',
    );
    expect(listed.code, listed.stderr).toBe(0);
    const jobs = JSON.parse(listed.stdout) as {
      id: number;
      status: string;
      progress: unknown;
      result: unknown;
    }[];
    expect(jobs).toEqual([
      expect.objectContaining({
        id: jobId,
        status: 'succeeded',
        progress: { done: 5, total: 5, note: 'done' },
        result: { rotated: 5 },
      }),
    ]);
    const plain = await server.instance.cli(
      'jobs',
      'list',
      '--data-dir',
      server.instance.dataDir,
      '--status',
      'queued',
    );
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/workflow\.check-in-expired {2}queued/);
    expect(plain.stdout).not.toMatch(/test\.report/);
    const bad = await server.instance.cli(
      'jobs',
      'list',
      '--data-dir',
      server.instance.dataDir,
      '--status',
      'x',
    );
    expect(bad.code).not.toBe(0);
    const missing = await server.instance.cli(
      'jobs',
      'show',
      '--data-dir',
      server.instance.dataDir,
      '--id',
      '999999',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Job with ID 999999 does not exist/);
  });
});

/**
 * The checkout sweeper on two real servers sharing one PostgreSQL database: one queued instance for
 * the cluster, every sweep run once (one attempt), never two at a time, whichever node ran it.
 */
describe.runIf(postgresAvailable())('the sweeper on two servers on one PostgreSQL database', () => {
  let instance: Instance;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    // 0.02 minutes: a checkout lasts 1.2 s, so the sweeper runs every second.
    instance = await createInstance('postgres', { BULWARK_CHECKOUT_MINUTES: '0.02' });
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    instance?.remove();
  });

  it('runs each sweep exactly once, one after another', async () => {
    servers.push(await serve(instance));
    servers.push(await serve(instance));
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const rows = await sqlOn(
      instance,
      `select status, attempts, lease_owner, started_at, finished_at, run_after from jobs
       where kind = 'workflow.check-in-expired' order by id`,
      [],
    );
    const queued = rows.filter((r) => r.status === 'queued');
    const finished = rows.filter((r) => r.status !== 'queued' && r.status !== 'running');
    expect(queued.length + rows.filter((r) => r.status === 'running').length).toBe(1);
    expect(finished.length).toBeGreaterThanOrEqual(3);
    for (const r of finished) expect(r).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Each run started after the previous one finished and after its due time.
    for (let i = 1; i < finished.length; i++) {
      expect(Number(finished[i]!.started_at)).toBeGreaterThanOrEqual(Number(finished[i - 1]!.finished_at));
      expect(Number(finished[i]!.started_at)).toBeGreaterThanOrEqual(Number(finished[i]!.run_after));
    }
    const nodes = new Set(finished.map((r) => r.lease_owner));
    expect(nodes.size).toBeGreaterThanOrEqual(1);
    expect(nodes.size).toBeLessThanOrEqual(2);
  });
});
