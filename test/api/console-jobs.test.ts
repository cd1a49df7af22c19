/**
 * Cancelling a job from the console (ADR 044) on both dialects, against a real server: a slow
 * certificate discovery over loopback addresses whose ports accept and never answer (each probe
 * waits for its timeout), so the job is surely running when the cancel arrives. A running job
 * stops at its next safe point (between hosts): it answers `running` with `cancelRequestedAt`
 * until the probes in flight end, then `cancelled`, with who and when, what it probed kept and
 * the rest never probed. Only the job's owner or an administrator may cancel (someone else's
 * job answers like a missing one); the cancel is audited; paging by offset is consistent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { silentRange, type Listener } from '../helpers/tls-listeners.js';
import { until } from '../helpers/wait.js';

/** 40 hosts × 2 ports = 80 targets; 32 probed at once, each waiting its timeout. */
const HOSTS = 40;
const FIRST = '127.0.3.1';
const LAST = `127.0.3.${HOSTS}`;
const TIMEOUT_SECONDS = 3;

describe('console job cancel', () => {
  const listeners: Listener[] = [];
  let ports = '';

  beforeAll(async () => {
    // Two ports open (and silent) on every host of the range.
    const range = await silentRange('127.0.3.', HOSTS);
    listeners.push(...range.listeners);
    ports = range.ports;
  });

  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.close()));
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let boss: ConsoleClient;
    let ivan: ConsoleClient;
    let eve: ConsoleClient;
    let ivanId: number;

    const startScan = async (client: ConsoleClient): Promise<number> => {
      const started = await client.post('/api/v1/certificate-discovery/range', {
        start: FIRST,
        end: LAST,
        ports,
        timeoutSeconds: TIMEOUT_SECONDS,
      });
      expect(started.status, JSON.stringify(started.json)).toBe(201);
      expect(started.json.total).toBe(HOSTS * 2);
      return started.json.jobId as number;
    };
    const running = (client: ConsoleClient, id: number) =>
      until('the job to run', async () => {
        const job = (await client.get(`/api/v1/jobs/${id}`)).json;
        return job.status === 'running' ? job : undefined;
      });
    const settled = (client: ConsoleClient, id: number) =>
      until('the job to settle', async () => {
        const job = (await client.get(`/api/v1/jobs/${id}`)).json;
        return ['running', 'queued'].includes(job.status) ? undefined : job;
      });

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_CERT_DISCOVERY_MAX_HOSTS: '100' });
      const { credentials } = server.instance;
      boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
      const password = 'Wr1te-Only#Jobs';
      for (const username of ['ivan', 'eve']) {
        const made = await boss.post('/api/v1/users', { username, role: 'Password User', password });
        expect(made.status, JSON.stringify(made.json)).toBe(201);
      }
      ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
      eve = (await signIn(server.baseUrl, 'eve', password)).client;
      ivanId = (await ivan.get('/api/v1/session')).json.user.id;
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    it('a running discovery stops between hosts: running until the probes in flight end, then cancelled by its owner', async () => {
      const id = await startScan(ivan);
      await running(ivan, id);
      // Someone else's job: as if it did not exist, and nothing changes.
      const refused = await eve.post(`/api/v1/jobs/${id}/cancel`);
      expect(refused.status).toBe(404);
      expect((await ivan.get(`/api/v1/jobs/${id}`)).json.cancelRequestedAt).toBeNull();

      const asked = Date.now();
      const cancel = await ivan.post(`/api/v1/jobs/${id}/cancel`);
      expect(cancel.status, JSON.stringify(cancel.json)).toBe(200);
      expect(cancel.json.outcome).toBe('stopping');
      // The probes in flight are not cut: still running, the cancel recorded.
      expect(cancel.json.job).toMatchObject({ status: 'running', cancelledBy: ivanId });
      expect(cancel.json.job.cancelRequestedAt).toBeGreaterThanOrEqual(asked - 5000);
      expect((await ivan.post(`/api/v1/jobs/${id}/cancel`)).json.outcome).toBe('finished');

      const job = await settled(ivan, id);
      expect(job).toMatchObject({ status: 'cancelled', cancelledBy: ivanId, lastError: null });
      expect(job.finishedAt).toBeGreaterThanOrEqual(job.cancelRequestedAt);
      // The first round (32 at once) was probed, each to its timeout; the rest never started.
      expect(job.progress.done).toBeGreaterThan(0);
      expect(job.progress.done).toBeLessThan(HOSTS * 2);
      expect(job.result.total).toBe(HOSTS * 2);
      expect(job.result.failed).toBe(job.progress.done);
      expect(Object.keys(job.result.details).length).toBeLessThan(HOSTS);

      const audit = (await boss.get(`/api/v1/audit?operation=${encodeURIComponent('Job Cancelled')}`)).json;
      expect(audit.items.map((r: any) => [r.operatorName, r.client, r.reason])).toEqual([
        ['ivan', 'Web Client', `Job ${id} (certificates.discover-range): stopping at its next safe point`],
      ]);
    }, 90_000);

    it("an administrator cancels another user's job; a finished job is not cancelled again", async () => {
      const id = await startScan(ivan);
      await running(boss, id);
      const cancel = await boss.post(`/api/v1/jobs/${id}/cancel`);
      expect(cancel.json.outcome).toBe('stopping');
      const bossId = (await boss.get('/api/v1/session')).json.user.id;
      const job = await settled(ivan, id);
      expect(job).toMatchObject({ status: 'cancelled', cancelledBy: bossId });
      const again = await boss.post(`/api/v1/jobs/${id}/cancel`);
      expect(again.json).toMatchObject({ outcome: 'finished', job: { status: 'cancelled' } });
      expect((await boss.post('/api/v1/jobs/999999/cancel')).status).toBe(404);
      expect((await boss.post('/api/v1/jobs/abc/cancel')).status).toBe(400);
      // The CSRF header is required as for every change.
      expect((await boss.post(`/api/v1/jobs/${id}/cancel`, undefined, { withoutCsrf: true })).status).toBe(
        403,
      );
      const audit = (await boss.get(`/api/v1/audit?operation=${encodeURIComponent('Job Cancelled')}`)).json;
      expect(audit.total).toBe(2);
    }, 90_000);

    it('pages by offset without gaps or overlaps, and an offset past the end answers an empty page', async () => {
      const all = (await boss.get('/api/v1/jobs?limit=500')).json;
      expect(all.total).toBeGreaterThanOrEqual(2);
      const ids: number[] = [];
      for (let offset = 0; offset < all.total; offset++) {
        const page = (await boss.get(`/api/v1/jobs?offset=${offset}&limit=1`)).json;
        expect(page.total).toBe(all.total);
        ids.push(...page.items.map((j: { id: number }) => j.id));
      }
      expect(ids).toEqual(all.items.map((j: { id: number }) => j.id));
      const past = await boss.get(`/api/v1/jobs?offset=${Number.MAX_SAFE_INTEGER}&limit=5`);
      expect(past.status, JSON.stringify(past.json)).toBe(200);
      expect(past.json).toEqual({ items: [], total: all.total });
      // eve's own: none.
      expect((await eve.get('/api/v1/jobs')).json).toEqual({ items: [], total: 0 });
    });
  });
});
