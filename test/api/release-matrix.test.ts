/**
 * The release gate (ADR 018), in process on a real database: every release kind × every kind of
 * caller × every account control, each answer compared with the table below. The table is keyed
 * by the gate's own list of kinds, so a release kind added without its rows fails this test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Caller, CallOrigin } from '../../src/platform/principal.js';
import type { Services } from '../../src/services.js';
import type { UserDraft } from '../../src/modules/identity/identity.types.js';
import type { ReleaseKind } from '../../src/modules/vault/release-gate.js';
import type { AccessJustification, AccountFlags } from '../../src/modules/vault/vault.types.js';
import { createDatabase } from '../helpers/postgres.js';
import { dialects, REPO_ROOT } from '../helpers/server.js';

/**
 * The built modules, as the server runs them: the SQLite audit writer is a worker thread that
 * loads its compiled file, which only exists in dist/ (`npm test` builds first).
 */
const built = <T>(module: string): Promise<T> =>
  import(pathToFileURL(path.join(REPO_ROOT, 'dist', module)).href) as Promise<T>;
const { loadConfig } = await built<typeof import('../../src/config.js')>('config.js');
const { initInstance, openInstance } = await built<typeof import('../../src/instance.js')>('instance.js');
const { Secret } =
  await built<typeof import('../../src/platform/crypto/secret.js')>('platform/crypto/secret.js');
const { RELEASE_KINDS } = await built<typeof import('../../src/modules/vault/release-gate.js')>(
  'modules/vault/release-gate.js',
);

/** The controls an account can ask of a release, and whether the caller satisfied them. */
const CONTROLS = ['none', 'reason', 'reasonGiven', 'ticket', 'ticketGiven', 'checkout'] as const;
type Control = (typeof CONTROLS)[number];

const FLAGS: Record<Control, AccountFlags> = {
  none: {},
  reason: { ISREASONREQUIRED: true },
  reasonGiven: { ISREASONREQUIRED: true },
  ticket: { IS_TICKETID_REQD_MANDATORY: true },
  ticketGiven: { IS_TICKETID_REQD_MANDATORY: true },
  checkout: { ACCESS_CONTROL: true },
};
const WHY: Record<Control, AccessJustification> = {
  none: { reason: null, ticketId: null },
  reason: { reason: null, ticketId: null },
  reasonGiven: { reason: 'matrix', ticketId: null },
  ticket: { reason: null, ticketId: null },
  ticketGiven: { reason: null, ticketId: 'CHG-1' },
  checkout: { reason: null, ticketId: null },
};

const CALLER_KINDS = [
  'owner',
  'superAdmin',
  'adminNotOwner',
  'viewShare',
  'modifyShare',
  'fullShare',
  'userGroupShare',
  'resourceGroupShare',
  'resourceGroupNoHelpDesk',
  'unshared',
  'a2aRetrieve',
  'a2aWithoutRetrieve',
] as const;
type CallerKind = (typeof CALLER_KINDS)[number];

/**
 * R released · P refused (permission, application operation, NoHelpDeskRetrieval, checkout) ·
 * J refused for a missing reason or ticket · H hidden (answered like a missing account) ·
 * M masked: GET account details answers, its Password-type additional fields as "*****" (the gate
 * refused them; endpoint 3 carries no reason or ticket, so those controls always mask).
 * One letter per control, in the order of CONTROLS:
 *                 none, reason, reason given, ticket, ticket given, checkout.
 */
const EXPECTED: Record<CallerKind, Record<ReleaseKind, string>> = {
  owner: {
    password: 'RJRJRR',
    accountDetails: 'RJRJRR',
    passwordHistory: 'RJRJRR',
    totp: 'RJRJRR',
    file: 'RJRJRR',
    additionalFields: 'RMMMMR',
  },
  // Access scope "All passwords" sees everything but checks out like anyone (ADR 011).
  superAdmin: {
    password: 'RJRJRP',
    accountDetails: 'RJRJRP',
    passwordHistory: 'RJRJRP',
    totp: 'RJRJRP',
    file: 'RJRJRP',
    additionalFields: 'RMMMMM',
  },
  adminNotOwner: {
    password: 'HHHHHH',
    accountDetails: 'HHHHHH',
    passwordHistory: 'HHHHHH',
    totp: 'HHHHHH',
    file: 'HHHHHH',
    additionalFields: 'HHHHHH',
  },
  // The history needs full access; the other kinds view access.
  viewShare: {
    password: 'RJRJRP',
    accountDetails: 'RJRJRP',
    passwordHistory: 'PPPPPP',
    totp: 'RJRJRP',
    file: 'RJRJRP',
    additionalFields: 'RMMMMM',
  },
  modifyShare: {
    password: 'RJRJRP',
    accountDetails: 'RJRJRP',
    passwordHistory: 'PPPPPP',
    totp: 'RJRJRP',
    file: 'RJRJRP',
    additionalFields: 'RMMMMM',
  },
  fullShare: {
    password: 'RJRJRP',
    accountDetails: 'RJRJRP',
    passwordHistory: 'RJRJRP',
    totp: 'RJRJRP',
    file: 'RJRJRP',
    additionalFields: 'RMMMMM',
  },
  userGroupShare: {
    password: 'RJRJRP',
    accountDetails: 'RJRJRP',
    passwordHistory: 'RJRJRP',
    totp: 'RJRJRP',
    file: 'RJRJRP',
    additionalFields: 'RMMMMM',
  },
  resourceGroupShare: {
    password: 'RJRJRP',
    accountDetails: 'RJRJRP',
    passwordHistory: 'RJRJRP',
    totp: 'RJRJRP',
    file: 'RJRJRP',
    additionalFields: 'RMMMMM',
  },
  // Full access through a NoHelpDeskRetrieval group only: it is seen, nothing of it leaves, and
  // the refusal comes before the reason and ticket are asked for (issue 11, hole 5).
  resourceGroupNoHelpDesk: {
    password: 'PPPPPP',
    accountDetails: 'PPPPPP',
    passwordHistory: 'PPPPPP',
    totp: 'PPPPPP',
    file: 'PPPPPP',
    additionalFields: 'MMMMMM',
  },
  unshared: {
    password: 'HHHHHH',
    accountDetails: 'HHHHHH',
    passwordHistory: 'HHHHHH',
    totp: 'HHHHHH',
    file: 'HHHHHH',
    additionalFields: 'HHHHHH',
  },
  // An application inheriting the full-share user: RETRIEVE releases the password only.
  a2aRetrieve: {
    password: 'RJRJRP',
    accountDetails: 'RJRJRP',
    passwordHistory: 'PPPPPP',
    totp: 'PPPPPP',
    file: 'PPPPPP',
    additionalFields: 'RMMMMM',
  },
  a2aWithoutRetrieve: {
    password: 'PPPPPP',
    accountDetails: 'PPPPPP',
    passwordHistory: 'PPPPPP',
    totp: 'PPPPPP',
    file: 'PPPPPP',
    additionalFields: 'MMMMMM',
  },
};

const FIRST_PASSWORD = 'Qz7#vK2m!xR9wL4p';
const CURRENT_PASSWORD = 'Hj5%tN8c@yB3fD6s';
const FILE_CONTENT = 'matrix file content';
const TOTP_SEED = Buffer.from('12345678901234567890', 'ascii');
const FIELD_PASSWORD = 'Fv8&pW3r#Lm6zQ1t';

/** GET account details answered with the Password-type additional field masked. */
class Masked extends Error {}

describe.each(dialects())('the release matrix on %s', (dialect) => {
  let close: (() => Promise<void>) | undefined;
  let services: Services;
  let admin: Caller;
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'REST API' };
  const clock = { now: () => Date.now() };
  const callers = {} as Record<CallerKind, Caller>;
  const accounts = {} as Record<Control, { resourceId: number; accountId: number }>;

  const draft = (username: string, role: UserDraft['role']): UserDraft => ({
    username,
    firstName: undefined,
    lastName: undefined,
    fullName: undefined,
    email: undefined,
    policy: undefined,
    role,
    isSuperAdmin: false,
    password: undefined,
    department: undefined,
    location: undefined,
    isApiUser: true,
    hostName: undefined,
    expiry: { kind: 'never' },
  });

  async function user(username: string, role: UserDraft['role']): Promise<Caller> {
    const created = await services.identity.createUser(admin, draft(username, role));
    return { ...origin, principal: await services.identity.authenticate(created.authToken, origin) };
  }

  beforeAll(async () => {
    // An instance created and opened as `bulwark init` and `bulwark serve` do, without HTTP.
    const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-release-matrix-'));
    const env: NodeJS.ProcessEnv = { BULWARK_TIMEZONE: 'UTC' };
    if (dialect === 'postgres') env.BULWARK_DATABASE_URL = await createDatabase(inject('postgresBaseUrl'));
    const config = loadConfig(env, { dataDir: path.join(dir, 'data') });
    const credentials = await initInstance(config, clock, origin);
    const instance = await openInstance(config, clock);
    close = async () => {
      await instance.close();
      rmSync(dir, { recursive: true, force: true });
    };
    services = instance.services;
    admin = { ...origin, principal: await services.identity.authenticate(credentials.authToken, origin) };

    const owner = await user('olivia', 'Password Administrator');
    callers.owner = owner;
    callers.superAdmin = admin;
    callers.adminNotOwner = await user('adam', 'Administrator');
    for (const kind of [
      'viewShare',
      'modifyShare',
      'fullShare',
      'userGroupShare',
      'resourceGroupShare',
      'resourceGroupNoHelpDesk',
      'unshared',
    ] as const) {
      callers[kind] = await user(kind.toLowerCase(), 'Password User');
    }
    const application = (operations: string[]): Caller => ({
      ...callers.fullShare,
      client: 'A2A matrix',
      principal: { ...callers.fullShare.principal, application: { name: 'matrix', operations } },
    });
    callers.a2aRetrieve = application(['RETRIEVE']);
    callers.a2aWithoutRetrieve = application(['CREATE', 'RESET_LOCAL']);

    // One resource per control, each with an account holding a password, a history, a TOTP and a file.
    for (const control of CONTROLS) {
      const created = await services.vault.createResource(
        owner,
        {
          name: `matrix-${control}`,
          type: 'Linux',
          dnsName: null,
          description: null,
          department: null,
          location: null,
          url: null,
          passwordPolicy: null,
          customFields: [],
        },
        {
          name: 'root',
          password: new Secret(FIRST_PASSWORD),
          passwordPolicy: null,
          description: null,
          notes: null,
          flags: FLAGS[control],
          customFields: [
            { label: 'Secondary Password', type: 'Password', value: new Secret(FIELD_PASSWORD) },
          ],
          file: { fileName: 'a.txt', contentType: 'text/plain', content: Buffer.from(FILE_CONTENT) },
          totp: { secret: TOTP_SEED, algorithm: undefined, digits: undefined, period: undefined },
        },
        undefined,
      );
      await services.vault.changePassword(
        owner,
        created.resourceId,
        created.accountId,
        new Secret(CURRENT_PASSWORD),
        'LOCAL',
        { reason: 'rotation', ticketId: null },
      );
      accounts[control] = created;
      for (const [kind, action] of [
        ['viewShare', 'view'],
        ['modifyShare', 'modify'],
        ['fullShare', 'full'],
      ] as const) {
        await services.sharing.share(owner, {
          resourceId: created.resourceId,
          accountId: undefined,
          grantee: { kind: 'user', id: callers[kind].principal.userId },
          action,
        });
      }
    }

    const userGroup = await services.userGroups.create(admin, { name: 'Matrix users', description: null });
    await services.userGroups.addUser(admin, callers.userGroupShare.principal.username, 'Matrix users');
    const resourceIds = CONTROLS.map((c) => accounts[c].resourceId);
    for (const control of CONTROLS) {
      await services.sharing.share(owner, {
        resourceId: accounts[control].resourceId,
        accountId: undefined,
        grantee: { kind: 'group', id: userGroup },
        action: 'full',
      });
    }
    for (const [kind, noHelpDeskRetrieval] of [
      ['resourceGroupShare', false],
      ['resourceGroupNoHelpDesk', true],
    ] as const) {
      const groupId = await services.resourceGroups.create(owner, {
        name: `Matrix ${kind}`,
        description: null,
        type: 'static',
        parentId: null,
        policy: null,
        noHelpDeskRetrieval,
        matchAll: true,
        criteria: [],
      });
      await services.resourceGroups.changeMembers(owner, groupId, resourceIds, true);
      await services.resourceGroups.share(owner, {
        groupIds: [groupId],
        grantees: [{ kind: 'user', id: callers[kind].principal.userId }],
        action: 'full',
      });
    }
  });

  afterAll(async () => {
    await close?.();
  });

  /** Each kind called through the vault service as the routes call it, and what it must release. */
  const RELEASE: Record<
    ReleaseKind,
    (caller: Caller, at: { resourceId: number; accountId: number }, why: AccessJustification) => Promise<void>
  > = {
    async password(caller, { resourceId, accountId }, why) {
      const password = await services.vault.retrievePassword(caller, resourceId, accountId, why);
      expect(password.reveal()).toBe(CURRENT_PASSWORD);
    },
    async accountDetails(caller, { resourceId, accountId }, why) {
      const got = await services.vault.retrieveAccountWithPassword(caller, resourceId, accountId, why);
      expect(got.password.reveal()).toBe(CURRENT_PASSWORD);
      expect(got.account.id).toBe(accountId);
    },
    async passwordHistory(caller, { resourceId, accountId }, why) {
      const history = await services.vault.passwordHistory(caller, resourceId, accountId, why);
      expect(history.map((h) => h.password?.reveal())).toEqual([FIRST_PASSWORD]);
    },
    async totp(caller, { accountId }, why) {
      const code = await services.vault.currentTotp(caller, accountId, why);
      expect(code.reveal()).toMatch(/^\d{6}$/);
    },
    async file(caller, { resourceId, accountId }, why) {
      const file = await services.vault.downloadFile(caller, resourceId, accountId, why);
      expect(file.content.toString()).toBe(FILE_CONTENT);
    },
    // GET account details: no reason or ticket travels with it; a refusal masks the field.
    async additionalFields(caller, { resourceId, accountId }) {
      const { account } = await services.vault.getAccount(caller, resourceId, accountId);
      const [field] = account.customFields;
      expect(field?.label).toBe('Secondary Password');
      if (field?.value === '*****') throw new Masked();
      expect(field?.value).toBe(FIELD_PASSWORD);
    },
  };

  async function outcome(run: () => Promise<void>): Promise<string> {
    try {
      await run();
      return 'R';
    } catch (err) {
      if (err instanceof Masked) return 'M';
      // By class name: the errors come from the built modules.
      const name = (err as Error).constructor.name;
      if (name === 'JustificationRequiredError') return 'J';
      if (name === 'NotPermittedError') return 'P';
      if (name === 'NotFoundError' && /does not exist .*or is not accessible/.test((err as Error).message))
        return 'H';
      throw err;
    }
  }

  it('every release kind exported by the gate has its rows, and every row a kind', () => {
    for (const caller of CALLER_KINDS) {
      expect(Object.keys(EXPECTED[caller]).sort(), caller).toEqual([...RELEASE_KINDS].sort());
      for (const kind of RELEASE_KINDS)
        expect(EXPECTED[caller][kind], `${caller} ${kind}`).toHaveLength(CONTROLS.length);
    }
    expect(Object.keys(RELEASE).sort()).toEqual([...RELEASE_KINDS].sort());
  });

  it.each(RELEASE_KINDS)(
    '%s: every caller × every account control answers as the table says',
    async (kind) => {
      const release = RELEASE[kind];
      expect(release, `no call for the release kind ${kind}`).toBeDefined();
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const callerKind of CALLER_KINDS) {
        let letters = '';
        for (const control of CONTROLS) {
          letters += await outcome(() => release(callers[callerKind], accounts[control], WHY[control]));
        }
        got[callerKind] = letters;
        want[callerKind] = EXPECTED[callerKind][kind];
      }
      expect(got).toEqual(want);
    },
  );
});
