import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pmpClient } from '../helpers/client.js';
import {
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  resetRemote,
  vaultPassword,
  type TargetResource,
} from '../helpers/remote-reset.js';
import { createInstance, dialects, serve, type Instance, type RunningServer } from '../helpers/server.js';
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
import { until as waitUntil } from '../helpers/wait.js';

/**
 * Crash injection (ADR 028): a real `bulwark serve` child process with the test hook
 * `crash-after-remote-change` kills itself (SIGKILL) right after the target took the new password
 * and before the vault commits it. Restarted, the server reconciles the pending rotation (at start,
 * then periodically): the new password opens the target, so it becomes the vault's current one.
 * Each round proves on the real sshd that the password the vault gives back logs in. Several
 * rounds per dialect; the restarted server keeps the hook, so each round is one crash and one start.
 * In the last round the target is unreachable when the server comes back (a TCP relay in front of
 * sshd refuses connections): the rotation stays pending, audited `Password Reset Unsettled`, the
 * vault keeps its password, and once the target is back the periodic reconciliation settles it.
 */
const noSshd = sshdProblem();
const ROUNDS = 5;

const hookEnv: NodeJS.ProcessEnv = {
  NODE_ENV: 'test',
  BULWARK_TEST_HOOKS: 'crash-after-remote-change',
  BULWARK_REMOTE_TIMEOUT_SECONDS: '20',
  // Reconcile at start with no grace (nothing is in flight in a process that just started) and
  // every second after.
  BULWARK_RECONCILE_SECONDS: '1',
  BULWARK_RECONCILE_GRACE_SECONDS: '0',
};

/** A TCP relay to sshd that can refuse connections for a while (the target "down"). */
async function relayTo(port: number): Promise<{ port: number; down: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { down: false };
  const server: Server = createServer((client) => {
    if (state.down) {
      client.destroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000) =>
  waitUntil(what, probe, ms, { tolerateErrors: true });

describe.skipIf(noSshd !== undefined)('a crash between the target change and the vault commit', () => {
  let sshd: SshServer;
  let relay: Awaited<ReturnType<typeof relayTo>>;

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
    let instance: Instance;
    let server: RunningServer | undefined;
    let user: LocalUser;
    let resource: TargetResource;

    beforeAll(async () => {
      instance = await createInstance(dialect, hookEnv);
      server = await serve(instance, hookEnv);
      user = createUser();
      const admin = pmpClient(server.baseUrl, server.token);
      // The account changes its own password (passwd): no elevation, the fastest real path.
      resource = await createTargetResource(admin, `crash-${dialect}`, 'Linux', sshd.host, [user]);
      await configureRemoteReset(admin, resource.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(relay.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
      });
    });
    afterAll(async () => {
      await server?.kill();
      instance?.remove();
    });

    it(`is reconciled after a restart, and the vault's password opens the target (${ROUNDS} rounds)`, async () => {
      const path = resource.passwordPath(user.name);
      let current = user.password;
      for (let round = 1; round <= ROUNDS; round++) {
        const t0 = Date.now();
        const lap = (what: string) =>
          process.env.BULWARK_TEST_VERBOSE && console.log(`round ${round} ${what} at ${Date.now() - t0} ms`);
        const running = server!;
        const admin = pmpClient(running.baseUrl, running.token);
        expect(await vaultPassword(admin, path)).toBe(current);
        const next = randomPassword();
        // The server dies in the middle of the request: no answer.
        const answer = await resetRemote(admin, path, next).then(
          (a) => `answered ${a.status}: ${a.message}`,
          () => 'no answer',
        );
        expect(answer, `round ${round}`).toBe('no answer');
        await running.kill();
        lap('crashed');
        expect(running.process.signalCode, `round ${round}`).toBe('SIGKILL');
        // The target took the new password; the vault had not committed it.
        expect(await canLogIn(sshd, user.name, next), `round ${round}`).toBe(true);
        // (That the old one no longer opens it is shown in remote-reset.test.ts: a refused SSH
        // login costs PAM's failure delay, seconds per round.)

        lap('target checked');
        const unreachable = round === ROUNDS;
        relay.down = unreachable;
        server = await serve(instance, hookEnv);
        lap('restarted');
        const restarted = pmpClient(server.baseUrl, server.token);
        if (unreachable) {
          // Neither password can be tried: the rotation stays pending, its password kept.
          await until('the unsettled rotation to be audited', async () =>
            (await auditTrail(restarted)).find(
              (r) => r.OPERATIONTYPE === 'Password Reset Unsettled' && r.ACCOUNTNAME === user.name,
            ),
          );
          expect(await vaultPassword(restarted, path)).toBe(current);
          relay.down = false;
          lap('target back');
        }
        // Settled at start, or (target down then) by the periodic reconciliation, whose instance the
        // killed server may have been running: it runs again once that lease (30 s) expires.
        const settled = await until(
          `round ${round} to be reconciled`,
          async () => {
            const password = await vaultPassword(restarted, path);
            return password === next ? password : undefined;
          },
          unreachable ? 75_000 : 30_000,
        );
        expect(await canLogIn(sshd, user.name, settled), `round ${round}`).toBe(true);
        current = next;
        lap('settled and proved');
      }
      const admin = pmpClient(server!.baseUrl, server!.token);
      const settledRecords = (await auditTrail(admin)).filter(
        (r) =>
          r.OPERATIONTYPE === 'Password Changed' &&
          r.ACCOUNTNAME === user.name &&
          /settled: the new password opens the target/.test(r.REASON),
      );
      expect(settledRecords).toHaveLength(ROUNDS);
      expect(settledRecords.every((r) => r.OPERATEDBY === 'System')).toBe(true);
      const unsettled = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Reset Unsettled' && r.ACCOUNTNAME === user.name,
      );
      expect(unsettled?.REASON).toMatch(/the new password is kept pending and reconciliation retries/);
      // The history holds every earlier password, the first one among them.
      const history = await admin(path.replace(/\/password$/, '/passwordhistory'));
      expect(JSON.stringify(history.raw)).toContain(user.password);
    }, 200_000);
  });
});
