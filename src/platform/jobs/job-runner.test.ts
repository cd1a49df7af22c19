import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrator.js';
import { createDatabase } from '../../../test/helpers/postgres.js';
import { dialects, REPO_ROOT } from '../../../test/helpers/server.js';
import { createJobRunner, PermanentJobError, type JobRunner, type JobRunnerOptions } from './index.js';

/**
 * The job runner on a real SQLite file and a real PostgreSQL database (ADR 024). Two runners on
 * two separate connections (pools) play two nodes.
 */
describe.each(dialects())('job runner (%s)', (dialect) => {
  let dir: string;
  let target: { databaseUrl: string | undefined; sqliteFile: string };
  const opened: Database[] = [];
  const runners: JobRunner[] = [];
  let now = Date.UTC(2030, 0, 1, 12, 0, 0);
  const fakeClock = { now: () => now };

  const open = (): Database => {
    const database = openDatabase(target);
    opened.push(database);
    return database;
  };
  let db1: Database;
  let db2: Database;

  const runner = (database: Database, options: Partial<JobRunnerOptions> = {}): JobRunner => {
    const r = createJobRunner({ database, clock: fakeClock, pollMs: 5, ...options });
    runners.push(r);
    return r;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-jobs-'));
    target = {
      databaseUrl: dialect === 'postgres' ? await createDatabase(inject('postgresBaseUrl')) : undefined,
      sqliteFile: path.join(dir, 'jobs.sqlite'),
    };
    db1 = open();
    await migrateToLatest(db1);
    db2 = open();
  });

  afterAll(async () => {
    for (const r of runners) await r.stop();
    for (const d of opened) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const until = async (condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('runs each job exactly once with two nodes claiming concurrently', async () => {
    const kind = 'test.exactly-once';
    const runs = new Map<number, string[]>();
    // Until both nodes have started a job, each node's handlers wait: a node holding all its
    // slots cannot finish, so the other must claim beside it (both nodes claim concurrently).
    const started = new Set<string>();
    const inFlight = new Map<string, number>();
    let mostInFlight = 0;
    const handler = (node: string) => async (_payload: unknown, ctx: { jobId: number }) => {
      runs.set(ctx.jobId, [...(runs.get(ctx.jobId) ?? []), node]);
      started.add(node);
      inFlight.set(node, (inFlight.get(node) ?? 0) + 1);
      mostInFlight = Math.max(mostInFlight, inFlight.get(node)!);
      const deadline = Date.now() + 10_000;
      while (started.size < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      inFlight.set(node, inFlight.get(node)! - 1);
      return { node };
    };
    const a = runner(db1, { nodeId: 'node-a' });
    const b = runner(db2, { nodeId: 'node-b' });
    a.register(kind, handler('node-a'), { concurrency: 4 });
    b.register(kind, handler('node-b'), { concurrency: 4 });
    const count = 150;
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push((await a.enqueue(db1.db, kind, { i }))!);
    a.start();
    b.start();
    await until(async () => (await a.list({ kind, status: 'succeeded' })).total === count);
    await Promise.all([a.stop(), b.stop()]);

    expect(runs.size).toBe(count);
    // A claim takes no more than the node has room for (its concurrency).
    expect(mostInFlight).toBe(4);
    for (const id of ids) expect(runs.get(id)).toHaveLength(1);
    const page = await a.list({ kind, limit: 1000 });
    expect(page.jobs.every((j) => j.attempts === 1 && j.status === 'succeeded')).toBe(true);
    // Both nodes did some of the work, and each stored result names the node that ran it.
    const nodes = new Set(page.jobs.map((j) => (j.result as { node: string }).node));
    expect(nodes).toEqual(new Set(['node-a', 'node-b']));
    for (const job of page.jobs) expect([(job.result as { node: string }).node]).toEqual(runs.get(job.id));
  });

  it('claims again a job whose node died mid-run once its lease expired, counting the attempt', async () => {
    const kind = 'test.lease-expiry';
    let releaseA: () => void = () => undefined;
    const a = runner(db1, { nodeId: 'dead-a', leaseMs: 60_000 });
    const b = runner(db2, { nodeId: 'live-b', leaseMs: 60_000 });
    a.register(kind, async () => {
      await new Promise<void>((resolve) => (releaseA = resolve));
      return 'from a';
    });
    b.register(kind, () => Promise.resolve('from b'));
    const id = (await a.enqueue(db1.db, kind, {}))!;
    // Node A claims the job and hangs in its handler (no renewal fires within a 60 s lease).
    const aRun = a.runDue();
    await until(async () => (await a.get(id))?.status === 'running');
    expect((await b.get(id))?.leaseOwner).toBe('dead-a');
    expect(await b.runDue()).toBe(0);

    now += 60_000; // A's lease has expired: A is as good as dead.
    expect(await b.runDue()).toBe(1);
    const job = await b.get(id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, result: 'from b', leaseOwner: 'live-b' });

    // A wakes up: its outcome is refused, B's stands.
    releaseA();
    await aRun;
    expect(await b.get(id)).toMatchObject({ status: 'succeeded', attempts: 2, result: 'from b' });
  });

  it('a node killed with SIGKILL mid-job: its lease is renewed while it lives, then another node runs the job', async () => {
    const kind = 'test.crash';
    const leaseMs = 1500;
    const realClock = { now: () => Date.now() };
    const b = runner(db2, { nodeId: 'survivor', leaseMs, clock: realClock });
    b.register(kind, () => Promise.resolve('survived'));
    const id = (await b.enqueue(db2.db, kind, {}))!;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'test/fixtures/job-node.ts')],
      {
        env: {
          ...process.env,
          JOB_NODE_URL: target.databaseUrl ?? '',
          JOB_NODE_SQLITE: target.sqliteFile,
          JOB_NODE_KIND: kind,
          JOB_NODE_LEASE_MS: String(leaseMs),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await until(() => Promise.resolve(out.includes(`CLAIMED ${id}`)));
      // Alive for two leases: it renews, so the other node never gets the job.
      const alive = Date.now() + 2 * leaseMs;
      while (Date.now() < alive) {
        expect(await b.runDue()).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const killedAt = Date.now();
    await until(async () => (await b.runDue()) === 1);
    expect(Date.now() - killedAt).toBeLessThan(leaseMs + 2000);
    expect(await b.get(id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      result: 'survived',
      leaseOwner: 'survivor',
    });
  });

  it('fails a job whose node died on its last attempt', async () => {
    const kind = 'test.lease-expiry-last';
    const id = (await runner(db1).enqueue(db1.db, kind, {}, { maxAttempts: 1 }))!;
    // A node claimed it and died: an expired lease written to the row.
    await db1.db
      .updateTable('jobs')
      .set({ status: 'running', attempts: 1, lease_owner: 'gone', lease_expires_at: now - 1 })
      .where('id', '=', id)
      .execute();
    const b = runner(db2);
    let ran = false;
    b.register(kind, () => Promise.resolve((ran = true)));
    expect(await b.runDue()).toBe(0);
    expect(ran).toBe(false);
    const job = await b.get(id);
    expect(job?.status).toBe('failed');
    expect(job?.lastError).toMatch(/lease expired/);
  });

  it('renews the lease while the handler runs, so no other node takes the job', async () => {
    const kind = 'test.renewal';
    const realClock = { now: () => Date.now() };
    const a = runner(db1, { nodeId: 'slow-a', leaseMs: 300, clock: realClock });
    const b = runner(db2, { nodeId: 'eager-b', leaseMs: 300, clock: realClock });
    a.register(kind, () => new Promise((resolve) => setTimeout(() => resolve('slow'), 1200)));
    let bRan = false;
    b.register(kind, () => Promise.resolve((bRan = true)));
    const id = (await a.enqueue(db1.db, kind, {}))!;
    const aRun = a.runDue();
    await until(async () => (await a.get(id))?.status === 'running');
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      expect(await b.runDue()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await aRun).toBe(1);
    expect(bRan).toBe(false);
    expect(await a.get(id)).toMatchObject({ status: 'succeeded', attempts: 1, result: 'slow' });
  });

  it('a handler stopped because its lease could not be renewed is retried, not settled as succeeded', async () => {
    const kind = 'test.renewal-refused';
    // The database refuses this kind's lease renewals (a real trigger, as a database that cannot
    // be written would), while claims and settling go through.
    if (dialect === 'postgres') {
      await sql`create function refuse_renewal() returns trigger language plpgsql as $$
        begin
          if old.kind = 'test.renewal-refused' and old.status = 'running' and new.status = 'running'
            and new.lease_expires_at > old.lease_expires_at then
            raise exception 'renewal refused';
          end if;
          return new;
        end $$`.execute(db1.db);
      await sql`create trigger refuse_renewal before update on jobs
        for each row execute function refuse_renewal()`.execute(db1.db);
    } else {
      await sql`create trigger refuse_renewal before update of lease_expires_at on jobs
        when old.kind = 'test.renewal-refused' and old.status = 'running' and new.status = 'running'
          and new.lease_expires_at > old.lease_expires_at
        begin select raise(abort, 'renewal refused'); end`.execute(db1.db);
    }
    try {
      const r = runner(db1, { leaseMs: 60 });
      let returned = false;
      r.register(
        kind,
        // Stops at its safe point when told, and answers what it did so far, as a scan does.
        async (_payload, ctx) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          returned = true;
          return { partial: true };
        },
        { maxAttempts: 2, backoffMs: 60_000 },
      );
      const id = (await r.enqueue(db1.db, kind, {}))!;
      const run = r.runDue();
      await until(async () => (await r.get(id))?.status === 'running');
      // Renewals fail; once the lease it last held has passed, the runner stops the handler.
      now += 1000;
      await run;
      expect(returned).toBe(true);
      expect(await r.get(id)).toMatchObject({
        status: 'queued',
        attempts: 1,
        runAfter: now + 60_000,
        lastError: 'the lease could not be renewed',
      });
      expect((await r.get(id))?.result).toBeUndefined();
      expect(await r.cancel(id)).toBe('cancelled');
    } finally {
      await sql`drop trigger refuse_renewal${sql.raw(dialect === 'postgres' ? ' on jobs' : '')}`.execute(
        db1.db,
      );
      if (dialect === 'postgres') await sql`drop function refuse_renewal()`.execute(db1.db);
    }
  });

  it('retries a failing job with exponential backoff, then fails it with the last error', async () => {
    const kind = 'test.retry';
    const r = runner(db1);
    // The failure sink is given on start (serve logs with it); stopped again at once, so that
    // runDue alone runs the job with the clock in hand.
    const failures: unknown[] = [];
    r.start(undefined, (failure) => failures.push(failure));
    await r.stop();
    let calls = 0;
    r.register(
      kind,
      () => {
        calls++;
        return Promise.reject(new Error(`target unreachable (${calls})`));
      },
      { maxAttempts: 3, backoffMs: 1000 },
    );
    const id = (await r.enqueue(db1.db, kind, { account: 1 }))!;
    expect(await r.runDue()).toBe(1);
    expect(await r.get(id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      runAfter: now + 1000,
      lastError: 'target unreachable (1)',
    });
    expect(await r.runDue()).toBe(0); // not due yet
    now += 1000;
    expect(await r.runDue()).toBe(1);
    expect(await r.get(id)).toMatchObject({ status: 'queued', attempts: 2, runAfter: now + 2000 });
    now += 1999;
    expect(await r.runDue()).toBe(0);
    now += 1;
    expect(await r.runDue()).toBe(1);
    const job = await r.get(id);
    expect(job).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastError: 'target unreachable (3)',
      finishedAt: now,
    });
    now += 3_600_000;
    expect(await r.runDue()).toBe(0);
    expect(calls).toBe(3);
    expect(failures).toEqual([
      { jobId: id, kind, attempt: 1, error: 'target unreachable (1)', retryAt: expect.any(Number) },
      { jobId: id, kind, attempt: 2, error: 'target unreachable (2)', retryAt: expect.any(Number) },
      { jobId: id, kind, attempt: 3, error: 'target unreachable (3)', retryAt: undefined },
    ]);
  });

  it('fails at once on a PermanentJobError', async () => {
    const kind = 'test.permanent';
    const r = runner(db1);
    r.register(kind, () => Promise.reject(new PermanentJobError('no such account')), { maxAttempts: 5 });
    const id = (await r.enqueue(db1.db, kind, {}))!;
    expect(await r.runDue()).toBe(1);
    expect(await r.get(id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'no such account' });
  });

  it('keeps progress readable while the job runs and after', async () => {
    const kind = 'test.progress';
    const r = runner(db1);
    let proceed: () => void = () => undefined;
    r.register(kind, async (_p, ctx) => {
      await ctx.progress(0, 10, 'starting');
      await ctx.progress(3);
      await new Promise<void>((resolve) => (proceed = resolve));
      await ctx.progress(10, 10, 'done');
      return { rotated: 10 };
    });
    const id = (await r.enqueue(db1.db, kind, {}, { createdBy: 42 }))!;
    const run = r.runDue();
    await until(async () => (await r.get(id))?.progress.done === 3);
    expect((await r.get(id))?.progress).toEqual({ done: 3, total: 10, note: 'starting' });
    proceed();
    await run;
    expect(await r.get(id)).toMatchObject({
      status: 'succeeded',
      progress: { done: 10, total: 10, note: 'done' },
      result: { rotated: 10 },
      createdBy: 42,
    });
    expect((await r.list({ createdBy: 42 })).jobs.map((j) => j.id)).toContain(id);
  });

  it('deduplicates unfinished jobs by key, and enqueues in the caller transaction', async () => {
    const kind = 'test.dedupe';
    const r = runner(db1);
    r.register(kind, () => Promise.resolve());
    const first = await r.enqueue(db1.db, kind, {}, { dedupeKey: 'rotate:account:7' });
    expect(first).toBeTypeOf('number');
    expect(await r.enqueue(db1.db, kind, {}, { dedupeKey: 'rotate:account:7' })).toBeUndefined();
    // Two nodes racing to enqueue the same key: one wins.
    const raced = await Promise.all([
      runner(db2).enqueue(db2.db, kind, {}, { dedupeKey: 'rotate:account:8' }),
      r.enqueue(db1.db, kind, {}, { dedupeKey: 'rotate:account:8' }),
    ]);
    expect(raced.filter((x) => x !== undefined)).toHaveLength(1);
    expect(await r.runDue()).toBe(2);
    // Finished: the key is free again.
    expect(await r.enqueue(db1.db, kind, {}, { dedupeKey: 'rotate:account:7' })).toBeTypeOf('number');

    // A rolled-back transaction leaves no job.
    const before = (await r.list({ kind })).total;
    await expect(
      db1.db.transaction().execute(async (trx) => {
        await r.enqueue(trx, kind, {});
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await r.list({ kind })).total).toBe(before);
  });

  it('keeps exactly one queued instance of a periodic job, due an interval after each run', async () => {
    const kind = 'test.periodic';
    let runs = 0;
    const a = runner(db1);
    const b = runner(db2);
    for (const r of [a, b]) {
      r.register(kind, () => Promise.resolve(++runs));
      r.every(kind, 30_000);
    }
    const queued = async () => (await a.list({ kind, status: 'queued' })).jobs;
    const [ranA, ranB] = await Promise.all([a.runDue(), b.runDue()]);
    expect(ranA + ranB).toBe(1);
    expect(runs).toBe(1);
    expect((await queued()).map((j) => j.runAfter)).toEqual([now + 30_000]);
    expect(await a.runDue()).toBe(0);
    now += 30_000;
    expect((await Promise.all([a.runDue(), b.runDue()])).reduce((x, y) => x + y)).toBe(1);
    expect(runs).toBe(2);
    expect(await queued()).toHaveLength(1);
    // Cancelled by an administrator: the next start (or housekeeping) creates it again.
    expect(await a.cancel((await queued())[0]!.id)).toBe('cancelled');
    expect(await queued()).toHaveLength(0);
    expect(await a.runDue()).toBe(1);
    expect(await queued()).toHaveLength(1);
  });

  it('a periodic instance abandoned by a dead node on its last attempt is queued again and runs as soon as its lease expires, not at the next housekeeping', async () => {
    const kind = 'test.periodic-abandoned';
    const a = runner(db1);
    a.register(kind, () => Promise.resolve(), { maxAttempts: 1 });
    a.every(kind, 1000);
    // One run; the next instance is queued an interval later. A node claimed it and died
    // mid-run on its last attempt; its lease runs a little longer.
    expect(await a.runDue()).toBe(1);
    await db1.db
      .updateTable('jobs')
      .set({ status: 'running', attempts: 1, lease_owner: 'gone', lease_expires_at: now + 1000 })
      .where('kind', '=', kind)
      .where('status', '=', 'queued')
      .execute();
    let runs = 0;
    const b = runner(db2);
    b.register(kind, () => Promise.resolve(++runs), { maxAttempts: 1 });
    b.every(kind, 1000);
    expect(await b.runDue()).toBe(0);
    // The lease expires: the abandoned instance is failed and the next one runs in the same poll.
    now += 2000;
    expect(await b.runDue()).toBe(1);
    expect(runs).toBe(1);
    const failed = (await b.list({ kind, status: 'failed' })).jobs;
    expect(failed.map((j) => j.lastError)).toEqual([expect.stringMatching(/lease expired/)]);
  });

  it('cancels a queued job at once, recording who and when; it never runs', async () => {
    const kind = 'test.cancel-queued';
    const r = runner(db1);
    let ran = 0;
    r.register(kind, () => Promise.resolve(++ran));
    const queuedId = (await r.enqueue(db1.db, kind, {}, { runAt: now + 1000, createdBy: 5 }))!;
    expect(await r.cancel(queuedId, 9)).toBe('cancelled');
    expect(await r.cancel(queuedId, 9)).toBe('finished');
    expect(await r.cancel(987_654, 9)).toBe('finished');
    now += 1000;
    expect(await r.runDue()).toBe(0);
    expect(ran).toBe(0);
    expect(await r.get(queuedId)).toMatchObject({
      status: 'cancelled',
      finishedAt: now - 1000,
      cancelledBy: 9,
      cancelRequestedAt: now - 1000,
    });
  });

  it('a running job stops at its next safe point: running until then, then cancelled with what it did', async () => {
    const kind = 'test.cancel-running';
    const r = runner(db1);
    // A handler of steps (hosts, accounts): the step in progress always finishes; it checks the
    // signal only between steps, as the discovery and rotation handlers do.
    let releaseStep: () => void = () => undefined;
    let stepsDone = 0;
    r.register(kind, async (_p, ctx) => {
      for (let step = 0; step < 5 && !ctx.signal.aborted; step++) {
        await new Promise<void>((resolve) => (releaseStep = resolve));
        stepsDone++;
        await ctx.progress(stepsDone, 5);
      }
      return { stepsDone };
    });
    const id = (await r.enqueue(db1.db, kind, {}, { createdBy: 5 }))!;
    const run = r.runDue();
    await until(async () => (await r.get(id))?.status === 'running');
    expect(await r.cancel(id, 5)).toBe('stopping');
    // Asked once: a second cancel changes nothing.
    expect(await r.cancel(id, 1)).toBe('finished');
    // The step in progress is not cut: the job is still running, by who asked, until it ends.
    expect(await r.get(id)).toMatchObject({ status: 'running', cancelledBy: 5, cancelRequestedAt: now });
    releaseStep();
    await run;
    expect(stepsDone).toBe(1);
    expect(await r.get(id)).toMatchObject({
      status: 'cancelled',
      cancelledBy: 5,
      result: { stepsDone: 1 },
      lastError: undefined,
      finishedAt: now,
      progress: { done: 1, total: 5 },
    });
  });

  it('a handler that throws once cancelled is not retried; its error is kept', async () => {
    const kind = 'test.cancel-throws';
    const r = runner(db1);
    let ran = 0;
    r.register(
      kind,
      (_p, ctx) =>
        new Promise((_resolve, reject) => {
          ran++;
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped between hosts')));
        }),
      { maxAttempts: 3 },
    );
    const id = (await r.enqueue(db1.db, kind, {}))!;
    const run = r.runDue();
    await until(async () => (await r.get(id))?.status === 'running');
    expect(await r.cancel(id)).toBe('stopping');
    const stoppedAt = now;
    await run;
    // Finished when it stopped, not at the retry time the error would have planned.
    expect((await r.get(id))?.finishedAt).toBe(stoppedAt);
    now += 60_000;
    expect(await r.runDue()).toBe(0);
    expect(ran).toBe(1);
    expect(await r.get(id)).toMatchObject({
      status: 'cancelled',
      cancelledBy: undefined,
      lastError: 'stopped between hosts',
      attempts: 1,
      finishedAt: stoppedAt,
    });
  });

  it('a cancel asked on another node reaches the handler at its next lease renewal', async () => {
    const kind = 'test.cancel-other-node';
    const a = runner(db1, { nodeId: 'cancel-a', leaseMs: 90 });
    let aborted = false;
    a.register(
      kind,
      (_p, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve('stopped');
          });
        }),
    );
    const b = runner(db2, { nodeId: 'cancel-b' });
    const id = (await a.enqueue(db1.db, kind, {}))!;
    const run = a.runDue();
    await until(async () => (await a.get(id))?.status === 'running');
    expect(await b.cancel(id, 3)).toBe('stopping');
    await run;
    expect(aborted).toBe(true);
    expect(await b.get(id)).toMatchObject({ status: 'cancelled', cancelledBy: 3, result: 'stopped' });
  });

  it('a cancelled job whose node died is never claimed again: settled as cancelled once its lease expires', async () => {
    const kind = 'test.cancel-dead-node';
    const r = runner(db1);
    let ran = 0;
    r.register(kind, () => Promise.resolve(++ran), { maxAttempts: 3 });
    const id = (await r.enqueue(db1.db, kind, {}))!;
    await db1.db
      .updateTable('jobs')
      .set({ status: 'running', attempts: 1, lease_owner: 'gone', lease_expires_at: now + 1000 })
      .where('id', '=', id)
      .execute();
    expect(await r.cancel(id, 4)).toBe('stopping');
    now += 2000;
    expect(await r.runDue()).toBe(0);
    expect(ran).toBe(0);
    expect(await r.get(id)).toMatchObject({
      status: 'cancelled',
      cancelledBy: 4,
      lastError: expect.stringMatching(/safe point/) as unknown,
    });
  });

  it('on stop, a job whose cancel was asked is cancelled rather than handed back', async () => {
    const kind = 'test.stop-cancelled';
    const a = runner(db1, { nodeId: 'stopping-c', stopTimeoutMs: 50 });
    a.register(kind, () => new Promise(() => undefined)); // ignores its signal
    const id = (await a.enqueue(db1.db, kind, {}))!;
    a.start();
    await until(async () => (await a.get(id))?.status === 'running');
    expect(await a.cancel(id, 2)).toBe('stopping');
    await a.stop();
    expect(await a.get(id)).toMatchObject({ status: 'cancelled', cancelledBy: 2 });
  });

  it('on stop, waits for handlers up to its bound, then releases their jobs for another node', async () => {
    const kind = 'test.stop';
    const a = runner(db1, { nodeId: 'stopping-a', stopTimeoutMs: 100 });
    a.register(kind, () => new Promise(() => undefined)); // never ends
    const id = (await a.enqueue(db1.db, kind, {}))!;
    a.start();
    await until(async () => (await a.get(id))?.status === 'running');
    await a.stop();
    expect(await a.get(id)).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: undefined });
    const b = runner(db2);
    b.register(kind, () => Promise.resolve('b'));
    expect(await b.runDue()).toBe(1);
    expect(await b.get(id)).toMatchObject({ status: 'succeeded', attempts: 1, result: 'b' });
  });
});
