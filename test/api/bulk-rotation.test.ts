import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import {
  adminCall,
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
  V1,
  vaultPassword,
  type Call,
  type TargetResource,
} from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import {
  blackholedPort,
  canLogIn,
  createUser,
  removeUsers,
  sshdProblem,
  startSshd,
  type Blackhole,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';
import { until as waitUntil } from '../helpers/wait.js';

/**
 * Bulk rotation of a resource group (ADR 029) over the real HTTPS API and the CLI, on both
 * dialects, against a real OpenSSH server with real local accounts and one blackholed host (a
 * TCP listener that accepts and never answers): the run finishes, that host's account is
 * reported failed with its reason and left unchanged, every other account is changed and its
 * new password opens the target; progress is readable through the jobs API while it runs.
 * No timing is asserted (benchmarks are not tests): only that the run ends and what it reports.
 */
const noSshd = sshdProblem();
/** Generous for the reachable targets on a loaded 2-core machine; the blackholed one uses all of it. */
const TIMEOUT_SECONDS = 10;

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000) =>
  waitUntil(what, probe, ms);

describe.skipIf(noSshd !== undefined)('bulk rotation of a resource group', () => {
  let sshd: SshServer;
  let blackhole: Blackhole;
  const secrets: string[] = [];
  const remember = (user: LocalUser) => (secrets.push(user.password), user);

  beforeAll(async () => {
    sshd = await startSshd();
    blackhole = await blackholedPort();
  });
  afterAll(async () => {
    await blackhole?.close();
    await sshd?.stop();
    removeUsers();
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let admin: Call;
    let n = 0;
    const name = (what: string) => `${what}-${dialect}-${++n}`;
    const answers: string[] = [];

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) });
      admin = adminCall(server);
    });
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    async function linuxResource(users: LocalUser[], port: number): Promise<TargetResource> {
      const resource = await createTargetResource(admin, name('linux'), 'Linux', sshd.host, users);
      ok(
        await admin(`${V1}/resources/${resource.resourceId}`, {
          method: 'PUT',
          input: details({ RESOURCEPASSWORDPOLICY: 'Strong' }),
        }),
      );
      await configureRemoteReset(admin, resource.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
      });
      return resource;
    }

    /** A static group of three resources on the sshd (four accounts) and one on the blackholed port. */
    async function groupWithBlackhole() {
      const reachable = [
        [remember(createUser()), remember(createUser())],
        [remember(createUser())],
        [remember(createUser())],
      ];
      const silentUser = remember(createUser());
      const resources = [];
      for (const users of reachable)
        resources.push({ users, resource: await linuxResource(users, sshd.port) });
      const silent = await linuxResource([silentUser], blackhole.port);
      const groupName = name('bulk');
      const group = ok(
        await admin(`${V1}/resourcegroup`, {
          method: 'POST',
          input: details({ RESOURCEGROUPNAME: groupName, GROUPTYPE: 'STATIC' }),
        }),
      );
      const groupId = String(group.details.RESOURCEGROUPID);
      ok(
        await admin(`${V1}/resourcegroup/${groupId}/associateResources`, {
          method: 'POST',
          input: details({
            RESOURCEIDS: [...resources.map((r) => r.resource.resourceId), silent.resourceId],
          }),
        }),
      );
      return { groupId, groupName, resources, silent, silentUser };
    }

    async function expectRotated(resources: { users: LocalUser[]; resource: TargetResource }[]) {
      for (const { users, resource } of resources) {
        for (const user of users) {
          const now = await vaultPassword(admin, resource.passwordPath(user.name));
          secrets.push(now);
          expect(now).not.toBe(user.password);
          expect(await canLogIn(sshd, user.name, now)).toBe(true);
          expect(await canLogIn(sshd, user.name, user.password)).toBe(false);
        }
      }
    }

    it('POST resourcegroup/{id}/rotate: a job whose progress is readable; the blackholed host fails, the rest change', async () => {
      const { groupId, groupName, resources, silent, silentUser } = await groupWithBlackhole();
      const started = ok(
        await admin(`${V1}/resourcegroup/${groupId}/rotate`, {
          method: 'POST',
          input: details({ CONCURRENCY: '2', TIMEOUT: String(TIMEOUT_SECONDS) }),
        }),
        'ROTATE RESOURCE GROUP',
      );
      answers.push(JSON.stringify(started.raw));
      expect(started.message).toBe(`Bulk rotation of resource group ${groupName} started`);
      const jobId = String(started.details.JOBID);
      // Progress while it runs, then the outcome.
      const seen = new Set<string>();
      const job = await until('the bulk rotation job to finish', async () => {
        const answer = ok(await admin(`${V1}/jobs/${jobId}`), 'GET JOB');
        answers.push(JSON.stringify(answer.raw));
        const d = answer.details as {
          STATUS: string;
          KIND: string;
          PROGRESS: { DONE: number; TOTAL: number | null; NOTE: string };
          RESULT: unknown;
        };
        if (d.PROGRESS.TOTAL !== null) seen.add(`${d.PROGRESS.DONE}/${d.PROGRESS.TOTAL}`);
        return d.STATUS === 'succeeded' || d.STATUS === 'failed' ? d : undefined;
      });
      expect(job.STATUS).toBe('succeeded');
      expect(job.KIND).toBe('rotation.bulk');
      expect(job.PROGRESS).toMatchObject({ DONE: 5, TOTAL: 5 });
      expect(seen.size).toBeGreaterThan(0);
      const result = job.RESULT as {
        group: string;
        total: number;
        changed: number;
        failed: { account: string; reason?: string; message: string }[];
        unsettled: unknown[];
        skipped: unknown[];
      };
      expect(result).toMatchObject({ group: groupName, total: 5, changed: 4, unsettled: [], skipped: [] });
      expect(result.failed).toHaveLength(1);
      expect(result.failed[0]!.account).toMatch(new RegExp(`/${silentUser.name}$`));
      expect(result.failed[0]!.reason).toBe('timeout');
      await expectRotated(resources);
      // The blackholed host's account: unchanged in the vault (and on the target, which nothing reached).
      expect(await vaultPassword(admin, silent.passwordPath(silentUser.name))).toBe(silentUser.password);
      expect(await canLogIn(sshd, silentUser.name, silentUser.password)).toBe(true);
      const trail = await auditTrail(admin);
      const failure = trail.find(
        (r) => r.OPERATIONTYPE === 'Password Reset Failed' && r.ACCOUNTNAME === silentUser.name,
      );
      expect(failure).toBeDefined();
      const users = ok(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '200' } }))
        .details as {
        OPERATIONTYPE: string;
        REASON: string;
      }[];
      expect(
        users.some((r) => r.OPERATIONTYPE === 'Bulk Rotation Started' && r.REASON.includes(groupName)),
      ).toBe(true);
    });

    it('bulwark rotate --group: plain progress lines off a terminal, a summary of changed / failed with reasons / unsettled', async () => {
      const { groupName, resources, silentUser } = await groupWithBlackhole();
      const run = await server.instance.cli(
        'rotate',
        '--data-dir',
        server.instance.dataDir,
        '--group',
        groupName,
        '--concurrency',
        '3',
        '--timeout',
        String(TIMEOUT_SECONDS),
      );
      answers.push(run.stdout, run.stderr);
      // Some target was not changed: exit code 2.
      expect(run.code, run.stderr).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(5);
      for (const line of lines) expect(line).toMatch(/^\[[ \d]\/5\] .+\/.+: (changed|failed)/);
      expect(lines.filter((l) => l.endsWith(': changed'))).toHaveLength(4);
      expect(run.stdout).toMatch(
        new RegExp(`^Bulk rotation of resource group ${groupName}: 5 account\\(s\\) in `),
      );
      expect(run.stdout).toContain('  changed: 4\n');
      expect(run.stdout).toContain('  failed: 1\n');
      expect(run.stdout).toMatch(new RegExp(`    .+/${silentUser.name}: timeout: `));
      expect(run.stdout).toContain('  unsettled: 0\n');
      await expectRotated(resources);

      const json = await server.instance.cli(
        'rotate',
        '--data-dir',
        server.instance.dataDir,
        '--group',
        'no such group',
      );
      expect(json.code).toBe(1);
      expect(json.stderr).toMatch(/Resource group no such group does not exist/);
    });

    it('bad bulk input and callers who may not manage the group answer Failed', async () => {
      const user = remember(createUser());
      const resource = await linuxResource([user], sshd.port);
      const group = ok(
        await admin(`${V1}/resourcegroup`, {
          method: 'POST',
          input: details({ RESOURCEGROUPNAME: name('small'), GROUPTYPE: 'STATIC' }),
        }),
      );
      const groupId = String(group.details.RESOURCEGROUPID);
      ok(
        await admin(`${V1}/resourcegroup/${groupId}/associateResources`, {
          method: 'POST',
          input: details({ RESOURCEIDS: [resource.resourceId] }),
        }),
      );
      const rotate = (id: string, fields: Record<string, unknown>) =>
        admin(`${V1}/resourcegroup/${id}/rotate`, { method: 'POST', input: details(fields) });
      failed(await rotate(groupId, { CONCURRENCY: '0' }), /CONCURRENCY must be a whole number from 1 to 64/);
      failed(await rotate(groupId, { CONCURRENCY: '65' }), /CONCURRENCY/);
      failed(await rotate(groupId, { TIMEOUT: 'soon' }), /TIMEOUT must be a whole number/);
      failed(await rotate('abc', {}), /not a valid resource group ID/);
      failed(await rotate('999999', {}), /does not exist or is not accessible/);
      expect(await vaultPassword(admin, resource.passwordPath(user.name))).toBe(user.password);
    });

    it('no password appears in any answer, progress note, CLI output or audit record', async () => {
      const trail = await auditTrail(admin);
      expectNoSecret([...answers, JSON.stringify(trail)], secrets);
    });
  });
});
