import { execFile } from 'node:child_process';
import { relayTo, type TcpRelay } from '../helpers/tcp-relay.js';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import {
  adminCall,
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
  resetRemote,
  V1,
  vaultPassword,
  type Call,
  type TargetResource,
} from '../helpers/remote-reset.js';
import { CLI, dialects, startServer, type RunningServer } from '../helpers/server.js';
import {
  canLogIn,
  createUser,
  randomPassword,
  removeUsers,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';

/**
 * Pending rotations and what operators do about them (docs/rotation.md, "Pending rotations"),
 * over the real HTTPS API and the CLI, on both dialects, against a real sshd and real local
 * accounts. A rotation becomes genuinely pending: a TCP relay in front of sshd lets the change
 * through (the account's own `passwd`, one connection) and then refuses connections, so the new
 * password can be neither verified nor refuted. It is then listed, settled on request once the
 * target is back (the password the vault gives then opens the target), or resolved by an
 * administrator (KEEP current: the pending password lands in the history; KEEP pending: it becomes
 * current). Authorization and bad input are checked on the same rotations.
 */
const noSshd = sshdProblem();
const ROTATIONS = `${V1}/rotations`;
const execFileAsync = promisify(execFile);

interface Rotation {
  ROTATIONID: string;
  RESOURCEID: string;
  RESOURCENAME: string;
  ACCOUNTID: string;
  ACCOUNTNAME: string;
  STATUS: string;
  TRIGGER: string;
  STARTEDBY: string;
  STARTEDTIME: string;
  FINISHEDTIME: string;
  REASON: string;
  MESSAGE: string;
}

describe.skipIf(noSshd !== undefined)('pending rotations: list, reconcile, resolve', () => {
  let sshd: SshServer;
  let relay: TcpRelay;
  const secrets: string[] = [];
  const answers: string[] = [];
  const record = <T extends { raw: unknown }>(answer: T): T => (
    answers.push(JSON.stringify(answer.raw)),
    answer
  );

  beforeAll(async () => {
    sshd = await startSshd();
    relay = await relayTo(sshd.port);
  });
  afterAll(async () => {
    await relay?.close();
    await sshd?.stop();
    removeUsers();
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let admin: Call;
    let paul: Actor;
    let olga: Actor;
    let n = 0;

    beforeAll(async () => {
      // No grace: a rotation the test left pending may be settled or resolved at once (the grace
      // that protects rotations in flight on another node is shown with the CLI below).
      server = await startServer(dialect, {
        BULWARK_REMOTE_TIMEOUT_SECONDS: '10',
        BULWARK_RECONCILE_GRACE_SECONDS: '0',
      });
      admin = adminCall(server);
      paul = await createApiUser(server, `paul${dialect}`, 'Password User');
      olga = await createApiUser(server, `olga${dialect}`, 'Password User');
    });
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    /**
     * A resource whose account changes its own password through the relay, and a rotation of it
     * left pending: the change reaches sshd, every later connection is refused.
     */
    async function pendingRotation(): Promise<{
      user: LocalUser;
      resource: TargetResource;
      path: string;
      next: string;
      rotation: Rotation;
    }> {
      const user = createUser();
      secrets.push(user.password);
      const resource = await createTargetResource(admin, `pend-${dialect}-${++n}`, 'Linux', sshd.host, [
        user,
      ]);
      await configureRemoteReset(admin, resource.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(relay.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
      });
      const path = resource.passwordPath(user.name);
      const next = randomPassword();
      secrets.push(next);
      relay.state.allow = 1;
      try {
        record(failed(await resetRemote(admin, path, next), /kept pending and reconciliation retries/));
      } finally {
        relay.state.allow = Number.POSITIVE_INFINITY;
      }
      // The target took the new password; the vault still answers the current one.
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
      expect(await vaultPassword(admin, path)).toBe(user.password);
      const list = record(
        ok(
          await admin(ROTATIONS, { query: { ACCOUNTID: resource.accounts[user.name]!, STATUS: 'pending' } }),
        ),
      );
      const rotations = list.details as unknown as Rotation[];
      expect(rotations).toHaveLength(1);
      return { user, resource, path, next, rotation: rotations[0]! };
    }

    const cli = (...args: string[]) => server.instance.cli(...args, '--data-dir', server.instance.dataDir);

    let first: Awaited<ReturnType<typeof pendingRotation>>;

    it('a rotation whose outcome the target did not confirm is listed pending, with who started it and why, never a password', async () => {
      first = await pendingRotation();
      const { rotation, resource, user } = first;
      expect(rotation).toMatchObject({
        RESOURCEID: resource.resourceId,
        RESOURCENAME: `pend-${dialect}-${n}`,
        ACCOUNTID: resource.accounts[user.name],
        ACCOUNTNAME: user.name,
        STATUS: 'PENDING',
        TRIGGER: 'api',
        STARTEDBY: server.instance.credentials.username,
        FINISHEDTIME: 'N/A',
      });
      expect(rotation.MESSAGE).toMatch(/unsettled: .*kept pending/);
      const one = record(ok(await admin(`${ROTATIONS}/${rotation.ROTATIONID}`)));
      expect(one.details).toMatchObject({ ROTATIONID: rotation.ROTATIONID, STATUS: 'PENDING' });
      // Filters: by resource, by status; paging.
      const byResource = ok(await admin(ROTATIONS, { query: { RESOURCEID: resource.resourceId } }));
      expect((byResource.details as unknown as Rotation[]).map((r) => r.ROTATIONID)).toEqual([
        rotation.ROTATIONID,
      ]);
      const completed = ok(
        await admin(ROTATIONS, { query: { RESOURCEID: resource.resourceId, STATUS: 'completed' } }),
      );
      expect(completed.details ?? []).toEqual([]);
      const paged = ok(await admin(ROTATIONS, { query: { LIMIT: '1', STARTINDEX: '1' } }));
      expect(paged.details).toHaveLength(1);
      expect(paged.totalRows).toBeGreaterThanOrEqual(1);
    });

    it('authorization: modify on the account sees and reconciles it, only administrators resolve, others are told it does not exist', async () => {
      const id = first.rotation.ROTATIONID;
      const missing = failed(await olga.call(`${ROTATIONS}/999999`));
      const hidden = failed(await olga.call(`${ROTATIONS}/${id}`));
      expect(hidden.message).toBe(missing.message.replace('999999', id));
      expect(hidden.statusCode).toBe(missing.statusCode);
      expect(ok(await olga.call(ROTATIONS)).details ?? []).toEqual([]);
      failed(await olga.call(`${ROTATIONS}/${id}/reconcile`, { method: 'POST' }), hidden.message);
      failed(
        await olga.call(`${ROTATIONS}/${id}/resolve`, {
          method: 'POST',
          input: details({ KEEP: 'current' }),
        }),
        hidden.message,
      );
      // A view share does not show it either (modify is what a change needs).
      ok(
        await admin(`${V1}/resources/${first.resource.resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERID: olga.id }),
        }),
      );
      failed(await olga.call(`${ROTATIONS}/${id}`), hidden.message);
      ok(
        await admin(`${V1}/resources/${first.resource.resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'modify', USERID: paul.id }),
        }),
      );
      expect(ok(await paul.call(`${ROTATIONS}/${id}`)).details).toMatchObject({ STATUS: 'PENDING' });
      const paulsList = ok(await paul.call(ROTATIONS)).details as unknown as Rotation[];
      expect(paulsList.map((r) => r.ROTATIONID)).toEqual([id]);
      failed(
        await paul.call(`${ROTATIONS}/${id}/resolve`, {
          method: 'POST',
          input: details({ KEEP: 'pending' }),
        }),
        /Only an administrator/,
      );
    });

    it('reconcile: still pending while the target is down; once back, settled on the new password, which opens the target', async () => {
      const { rotation, path, next, user } = first;
      const id = rotation.ROTATIONID;
      relay.state.allow = 0;
      try {
        const still = record(failed(await paul.call(`${ROTATIONS}/${id}/reconcile`, { method: 'POST' })));
        expect(still.message).toMatch(new RegExp(`^Rotation ${id} is still pending: `));
        expect(still.details).toMatchObject({ STATUS: 'PENDING', OUTCOME: 'PENDING' });
      } finally {
        relay.state.allow = Number.POSITIVE_INFINITY;
      }
      const settled = record(ok(await paul.call(`${ROTATIONS}/${id}/reconcile`, { method: 'POST' })));
      expect(settled.message).toBe('Rotation settled: the new password opens the target and is now current');
      expect(settled.details).toMatchObject({ STATUS: 'COMPLETED', OUTCOME: 'COMPLETED' });
      expect(await vaultPassword(admin, path)).toBe(next);
      expect(await canLogIn(sshd, user.name, await vaultPassword(admin, path))).toBe(true);
      const changed = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Changed' && r.ACCOUNTNAME === user.name,
      );
      expect(changed?.OPERATEDBY).toBe(paul.name);
      expect(changed?.REASON).toMatch(/settled: the new password opens the target/);
      // Settled: nothing left to reconcile or resolve.
      failed(await paul.call(`${ROTATIONS}/${id}/reconcile`, { method: 'POST' }), /is not pending/);
      failed(
        await admin(`${ROTATIONS}/${id}/resolve`, { method: 'POST', input: details({ KEEP: 'current' }) }),
        /is not pending/,
      );
    });

    it('resolve KEEP current: the current password stays, the pending one is in the history (sealed), audited', async () => {
      const { rotation, path, next, user } = await pendingRotation();
      const id = rotation.ROTATIONID;
      const resolved = record(
        ok(
          await admin(`${ROTATIONS}/${id}/resolve`, { method: 'POST', input: details({ KEEP: 'current' }) }),
        ),
      );
      expect(resolved.message).toBe(
        'Rotation resolved: the current password is kept; the pending one is in the password history',
      );
      expect(resolved.details).toMatchObject({ STATUS: 'FAILED', REASON: 'resolved' });
      expect(await vaultPassword(admin, path)).toBe(user.password);
      const history = ok(await admin(path.replace(/\/password$/, '/passwordhistory')));
      expect(JSON.stringify(history.raw)).toContain(next);
      const audited = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Reset Resolved' && r.ACCOUNTNAME === user.name,
      );
      expect(audited?.OPERATEDBY).toBe(server.instance.credentials.username);
      expect(audited?.REASON).toBe(
        `Rotation ${id} resolved by ${server.instance.credentials.username}: kept the current password (the pending one is in the history)`,
      );
      failed(
        await admin(`${ROTATIONS}/${id}/resolve`, { method: 'POST', input: details({ KEEP: 'pending' }) }),
        /is not pending/,
      );
    });

    it('the CLI lists pending rotations and resolves one with --keep pending (the pending password becomes current and opens the target)', async () => {
      const { rotation, path, next, user } = await pendingRotation();
      const id = rotation.ROTATIONID;
      const listed = await cli('rotations', 'list', '--status', 'pending', '--json');
      expect(listed.code, listed.stderr).toBe(0);
      const rows = JSON.parse(listed.stdout) as { id: number; status: string; account: { name: string } }[];
      expect(rows.map((r) => [r.id, r.status, r.account.name])).toEqual([[Number(id), 'pending', user.name]]);
      const text = await cli('rotations', 'list');
      expect(text.stdout).toContain(`${id}\tpending\t`);
      // Within the grace period a rotation may still be in flight on another node: refused.
      const early = await execFileAsync(
        process.execPath,
        [CLI, 'rotations', 'resolve', '--id', id, '--keep', 'pending', '--data-dir', server.instance.dataDir],
        { env: { ...server.instance.env, BULWARK_RECONCILE_GRACE_SECONDS: '600' } },
      ).then(
        () => 'exit 0',
        (err: { code?: number; stderr?: string }) => `exit ${err.code}: ${err.stderr ?? ''}`,
      );
      expect(early).toMatch(
        /^exit 1: bulwark: Rotation \d+ was attempted \d+ s ago and may still be in progress/,
      );
      expect(await vaultPassword(admin, path)).toBe(user.password);
      const resolved = await cli('rotations', 'resolve', '--id', id, '--keep', 'pending');
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(resolved.stdout).toMatch(/the pending password is now current/);
      expect(await vaultPassword(admin, path)).toBe(next);
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
      const history = ok(await admin(path.replace(/\/password$/, '/passwordhistory')));
      expect(JSON.stringify(history.raw)).toContain(user.password);
      const audited = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Reset Resolved' && r.ACCOUNTNAME === user.name,
      );
      expect(audited?.REASON).toMatch(/kept the pending password/);
      const again = await cli('rotations', 'reconcile', '--id', id);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/is not pending/);
      const bad = await cli('rotations', 'resolve', '--id', id, '--keep', 'both');
      expect(bad.code).not.toBe(0);
      expectNoSecret([listed.stdout, text.stdout, resolved.stdout, again.stderr], secrets);
    });

    it('bad input answers Failed', async () => {
      failed(await admin(ROTATIONS, { query: { STATUS: 'stuck' } }), /STATUS must be one of/);
      failed(await admin(ROTATIONS, { query: { LIMIT: '-1' } }), /LIMIT/);
      failed(await admin(ROTATIONS, { query: { ACCOUNTID: 'x' } }));
      failed(await admin(`${ROTATIONS}/abc`));
      failed(await admin(`${ROTATIONS}/1/resolve`, { method: 'POST' }), /KEEP/);
      failed(
        await admin(`${ROTATIONS}/1/resolve`, { method: 'POST', input: details({ KEEP: 'both' }) }),
        /KEEP must be one of pending, current/,
      );
      failed(await admin(`${ROTATIONS}/999999/reconcile`, { method: 'POST' }), /does not exist/);
    });

    it('no password appears in any answer or audit record', async () => {
      const trail = await auditTrail(admin);
      expectNoSecret([...answers, ...trail.map((r) => JSON.stringify(r))], secrets);
    });
  });
});
