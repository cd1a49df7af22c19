import type { Executor } from '../../platform/db/database.js';
import { InvalidInputError } from '../../platform/errors.js';
import { allows } from '../access/index.js';
import { nameKey } from '../vault/index.js';
import type { Configurer, RemoteResetContext } from './remote-reset.context.js';
import {
  remoteResetRepository as repo,
  type AccountRow,
  type ResourceRef,
} from './remote-reset.repository.js';
import { DEFAULT_PORT, kindOfResourceType, type RemoteResetDraft } from './remote-reset.types.js';
import { defaults, type Settings } from './settings.js';

export const TELNET_REFUSED = 'Telnet is not supported; use SSH';

/** A refusal for one resource of endpoint 63 (its message goes to CONFIGURATION RESULT). */
class Refusal extends InvalidInputError {}

export const refuse = (message: string): never => {
  throw new Refusal(message);
};

const LINUX_ONLY = 'applies to Linux resources only';

/** A few names for a message: the first five and how many more. */
export function listed(names: readonly string[]): string {
  return names.length <= 5
    ? names.join(', ')
    : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}

/**
 * The validation of a draft configuration (endpoint 63, the native PUT): what the draft may say
 * for the kind of resource, and every account it names (login, reset, root, the landing server's
 * login), which the server will use on the configurer's behalf, so the configurer must hold full
 * access to each of them on every change, not only when it is first named.
 */
export function draftResolution({ visible, accountPermission }: RemoteResetContext) {
  /**
   * An account the configuration names: it must exist, be visible, and the configurer must hold
   * full access to it (the server will use its password on their behalf).
   */
  async function usableAccount(
    trx: Executor,
    who: Configurer,
    account: AccountRow | undefined,
    described: string,
    role: string,
  ): Promise<AccountRow> {
    const permission = account ? await accountPermission(trx, who, account) : 'none';
    if (!account || permission === 'none') {
      return refuse(`${described} does not exist or is not accessible to you`);
    }
    if (!allows(permission, 'full')) {
      return refuse(
        `${role} ${account.name}: you need full access to (or ownership of) an account to let the server use its password`,
      );
    }
    return account;
  }

  /** Applies `draft` over `base` for `resource`, resolving names; refuses (Refusal) what cannot be configured. */
  async function resolve(
    trx: Executor,
    who: Configurer,
    resource: ResourceRef,
    base: Settings | undefined,
    draft: RemoteResetDraft,
  ): Promise<Settings> {
    if (draft.remoteMode === 'telnet') refuse(TELNET_REFUSED);
    const kind = draft.resourceType ? kindOfResourceType(draft.resourceType) : (base?.kind ?? 'linux');
    const start = base ?? defaults(kind);
    const s: Settings = { ...start, kind };
    if (base && base.kind !== kind) {
      // A change of kind: what belonged to the other kind goes, the port follows its default.
      if (base.port === DEFAULT_PORT[base.kind]) s.port = DEFAULT_PORT[kind];
      if (kind !== 'linux') {
        Object.assign(s, {
          landingResourceId: null,
          loginAccountId: null,
          rootAccountId: null,
          authentication: 'passauth',
        });
      } else {
        s.database = null;
      }
    }
    const isLinux = kind === 'linux';
    if (draft.port !== undefined) s.port = draft.port;
    if (draft.userPrompt !== undefined) s.userPrompt = draft.userPrompt;
    if (draft.rootPrompt !== undefined) s.rootPrompt = draft.rootPrompt;
    if (draft.resourceIdentifier !== undefined) s.resourceIdentifier = draft.resourceIdentifier;
    if (draft.elevation !== undefined) s.elevation = draft.elevation;
    if (draft.removeEnter !== undefined) s.removeEnter = draft.removeEnter;
    if (draft.authentication !== undefined) {
      if (!isLinux && draft.authentication === 'keyauth') refuse(`AUTHENTICATION keyauth ${LINUX_ONLY}`);
      s.authentication = draft.authentication;
    }
    if (draft.database !== undefined) {
      if (isLinux && draft.database !== '') refuse('DATABASE applies to database resources only');
      s.database = draft.database === '' ? null : draft.database;
    }

    if (draft.loginAccount !== undefined) {
      if (draft.loginAccount === '') s.loginAccountId = null;
      else {
        if (!isLinux) {
          refuse(
            `REMOTELOGINACCOUNT ${LINUX_ONLY}; for databases name the reset account with WDRESOURCEID and WDACCOUNTID`,
          );
        }
        const account = await repo.findAccountByKey(trx, resource.id, nameKey(draft.loginAccount));
        s.loginAccountId = (
          await usableAccount(
            trx,
            who,
            account,
            `Account ${draft.loginAccount} of resource ${resource.name}`,
            'REMOTELOGINACCOUNT',
          )
        ).id;
      }
    }
    if (draft.rootAccount !== undefined) {
      if (draft.rootAccount === '') s.rootAccountId = null;
      else {
        if (!isLinux) refuse(`ROOTACCOUNT ${LINUX_ONLY}`);
        const account = await repo.findAccountByKey(trx, resource.id, nameKey(draft.rootAccount));
        s.rootAccountId = (
          await usableAccount(
            trx,
            who,
            account,
            `Account ${draft.rootAccount} of resource ${resource.name}`,
            'ROOTACCOUNT',
          )
        ).id;
      }
    }
    if (draft.resetAccount !== undefined) {
      if (draft.resetAccount === null) s.resetAccountId = null;
      else {
        const { resourceId, accountId } = draft.resetAccount;
        const account = await repo.findAccount(trx, accountId);
        s.resetAccountId = (
          await usableAccount(
            trx,
            who,
            account && account.resourceId === resourceId ? account : undefined,
            `Account with ID ${accountId} of resource with ID ${resourceId}`,
            'WDACCOUNTID',
          )
        ).id;
      }
    }
    if (draft.landingServer !== undefined) {
      if (draft.landingServer === '') s.landingResourceId = null;
      else {
        if (!isLinux) refuse(`LINUX_LANDINGSERVER ${LINUX_ONLY}`);
        const landing = await repo.findResourceByKey(trx, nameKey(draft.landingServer));
        if (!landing || !(await visible(trx, who, landing))) {
          refuse(`Landing server ${draft.landingServer} does not exist or is not accessible to you`);
        }
        s.landingResourceId = landing!.id;
      }
    }

    // Whatever the draft changed, every account the result names is checked again: a change of
    // port or landing server redirects where their passwords are sent.
    await checkNamedAccounts(trx, who, resource, s);

    const dependents = await repo.landingDependents(trx, resource.id);
    if (dependents.length > 0 && (!isLinux || s.loginAccountId === null || s.landingResourceId !== null)) {
      refuse(
        `${resource.name} is the landing server of ${listed(dependents)}: it must stay a Linux configuration with a login account (REMOTELOGINACCOUNT) and no landing server of its own`,
      );
    }
    if (s.elevation === 'su' && isLinux && s.rootAccountId === null) {
      refuse('ELEVATIONTYPE su needs ROOTACCOUNT: the account whose password su answers');
    }
    if (s.authentication === 'keyauth' && s.loginAccountId === null && s.resetAccountId === null) {
      refuse('AUTHENTICATION keyauth needs REMOTELOGINACCOUNT: the account the key logs in as');
    }
    return s;
  }

  async function checkNamedAccounts(trx: Executor, who: Configurer, resource: ResourceRef, s: Settings) {
    const named: [number | null, string][] = [
      [s.loginAccountId, 'REMOTELOGINACCOUNT'],
      [s.resetAccountId, 'WDACCOUNTID'],
      [s.rootAccountId, 'ROOTACCOUNT'],
    ];
    for (const [id, role] of named) {
      if (id === null) continue;
      await usableAccount(trx, who, await repo.findAccount(trx, id), `Account with ID ${id}`, role);
    }
    if (s.landingResourceId !== null) {
      if (s.landingResourceId === resource.id) refuse('A resource cannot be its own landing server');
      const landing = await repo.findResource(trx, s.landingResourceId);
      if (!landing || !(await visible(trx, who, landing))) {
        return refuse(
          `Landing server with ID ${s.landingResourceId} does not exist or is not accessible to you`,
        );
      }
      const config = await repo.findConfig(trx, landing.id);
      if (!config || config.kind !== 'linux' || config.login_account_id === null) {
        refuse(
          `Landing server ${landing.name} has no remote reset configuration naming its login account (REMOTELOGINACCOUNT); configure it first`,
        );
      }
      if (config!.landing_resource_id !== null) {
        refuse(`Landing server ${landing.name} itself goes through a landing server; one hop only`);
      }
      await usableAccount(
        trx,
        who,
        await repo.findAccount(trx, Number(config!.login_account_id)),
        `The login account of landing server ${landing.name}`,
        `Landing server ${landing.name}'s login account`,
      );
    }
  }

  return { resolve };
}
