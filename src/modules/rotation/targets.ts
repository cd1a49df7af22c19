import type { Secret } from '../../platform/crypto/secret.js';
import {
  RemoteChangeFailure,
  type DatabaseTarget,
  type HostKeyPins,
  type Login,
  type RemoteTarget,
  type SshTarget,
} from './connectors/connector.js';

/** An account of the vault a configuration names (its login name on the target). */
export interface ConfiguredAccount {
  readonly id: number;
  readonly resourceId: number;
  readonly name: string;
}

/**
 * What the rotation service reads of a resource's remote reset configuration (endpoint 63; the
 * remote-reset module's RemoteResetConfiguration satisfies it).
 */
export interface RotationConfiguration {
  readonly resourceId: number;
  readonly resourceName: string;
  readonly kind: 'linux' | 'postgresql' | 'mysql';
  /** The host the configuration was confirmed for (ADR 030). */
  readonly host: string;
  /** The resource's DNSNAME now; a change goes nowhere while it differs from `host`. */
  readonly dnsNameNow: string;
  readonly port: number;
  readonly prompts: { readonly user: string; readonly root: string };
  readonly landingResourceId: number | undefined;
  readonly loginAccount: ConfiguredAccount | undefined;
  readonly resetAccount: ConfiguredAccount | undefined;
  readonly rootAccount: ConfiguredAccount | undefined;
  readonly elevation: 'su' | 'sudo';
  readonly removeEnter: boolean;
  readonly database: string | undefined;
  readonly authentication: 'passauth' | 'keyauth';
  readonly privateKey: Secret | undefined;
  readonly passphrase: Secret | undefined;
}

/** The accounts whose passwords building the target needs (the landing server's login among them). */
export function credentialAccountsOf(
  config: RotationConfiguration,
  landing: RotationConfiguration | undefined,
): ConfiguredAccount[] {
  const accounts: ConfiguredAccount[] = [];
  for (const a of [config.loginAccount, config.resetAccount, config.rootAccount]) if (a) accounts.push(a);
  const landingLogin = landing && (landing.loginAccount ?? landing.resetAccount);
  if (landingLogin) accounts.push(landingLogin);
  return accounts;
}

/** A failure found before anything was sent to the target. */
const beforeTarget = (reason: 'authentication' | 'protocol' | 'host-changed', message: string) =>
  new RemoteChangeFailure(reason, message, false);

/**
 * Passwords go only to the host a configuration was confirmed for (ADR 030): whoever may edit a
 * resource's DNSNAME does not thereby decide where the server sends the passwords of the
 * accounts its configuration names (a reset account, a landing login), which they may not hold.
 */
function requireConfirmedHost(config: RotationConfiguration, role: string): void {
  if (config.dnsNameNow === config.host) return;
  throw beforeTarget(
    'host-changed',
    `the DNS name of ${role}${config.resourceName} changed from ${config.host} to ` +
      `${config.dnsNameNow || '(none)'} after remote reset was configured; nothing was sent. ` +
      `Configuring remote reset again confirms the new host (it needs full access to the resource ` +
      `and to every account the configuration names)`,
  );
}

/**
 * Builds the connector's target for one account. `self` is the account's own login name and
 * current password (the account logs in itself when the configuration names nobody else).
 * Also answers which configured accounts' passwords were used (for the rotation's audit text).
 */
export function buildTarget(
  config: RotationConfiguration,
  landing: RotationConfiguration | undefined,
  self: { readonly name: string; readonly password: Secret | undefined },
  credentials: ReadonlyMap<number, Secret>,
  hostKeys: HostKeyPins,
): { target: RemoteTarget; used: string[] } {
  requireConfirmedHost(config, 'resource ');
  if (landing) requireConfirmedHost(landing, 'landing server ');
  const used: string[] = [];
  const passwordOf = (role: string, account: ConfiguredAccount): Secret => {
    const password = credentials.get(account.id);
    if (password === undefined) {
      throw beforeTarget(
        'authentication',
        `the ${role} account ${account.name} has no password stored in the vault`,
      );
    }
    used.push(`${role} account ${account.name} (ID ${account.id})`);
    return password;
  };
  const endpoint = { host: config.host, port: config.port };

  if (config.kind === 'postgresql' || config.kind === 'mysql') {
    let login: Login;
    if (config.resetAccount) {
      login = { username: config.resetAccount.name, password: passwordOf('reset', config.resetAccount) };
    } else {
      if (self.password === undefined) {
        throw beforeTarget('authentication', `account ${self.name} has no current password in the vault`);
      }
      login = { username: self.name, password: self.password };
      used.push(`the account's current password`);
    }
    const target: DatabaseTarget = {
      kind: config.kind,
      endpoint,
      ...(config.database !== undefined ? { database: config.database } : {}),
      login,
    };
    return { target, used };
  }

  // Linux over SSH: REMOTELOGINACCOUNT, else the reset account, else the account itself.
  const loginAccount = config.loginAccount ?? config.resetAccount;
  let login: Login;
  if (loginAccount && loginAccount.name !== self.name) {
    login =
      config.authentication === 'keyauth' && config.privateKey
        ? {
            username: loginAccount.name,
            privateKey: config.privateKey,
            ...(config.passphrase ? { passphrase: config.passphrase } : {}),
            // sudo answers its prompt with the login password when the vault holds one.
            ...(credentials.has(loginAccount.id) ? { password: passwordOf('login', loginAccount) } : {}),
          }
        : { username: loginAccount.name, password: passwordOf('login', loginAccount) };
    if (config.authentication === 'keyauth') used.push(`the configured SSH login key`);
  } else {
    if (config.authentication === 'keyauth' && config.privateKey) {
      login = {
        username: self.name,
        privateKey: config.privateKey,
        ...(config.passphrase ? { passphrase: config.passphrase } : {}),
        ...(self.password ? { password: self.password } : {}),
      };
      used.push(`the configured SSH login key`);
    } else {
      if (self.password === undefined) {
        throw beforeTarget('authentication', `account ${self.name} has no current password in the vault`);
      }
      login = { username: self.name, password: self.password };
    }
    used.push(`the account's current password`);
  }

  let elevation: SshTarget['elevation'];
  if (login.username !== self.name && login.username !== 'root') {
    const root = config.rootAccount;
    elevation = {
      type: config.elevation,
      rootAccount: root?.name ?? 'root',
      ...(config.elevation === 'su' && root ? { rootPassword: passwordOf('root', root) } : {}),
    };
    if (config.elevation === 'su' && !root) {
      throw beforeTarget(
        'protocol',
        'elevation with su needs a root account (ROOTACCOUNT) in the configuration',
      );
    }
  }

  let landingHop: SshTarget['landing'];
  if (config.landingResourceId !== undefined) {
    const landingLogin = landing && (landing.loginAccount ?? landing.resetAccount);
    if (!landing || !landingLogin) {
      throw beforeTarget(
        'protocol',
        'the landing server has no remote reset configuration naming the account that logs in to it',
      );
    }
    landingHop = {
      endpoint: { host: landing.host, port: landing.port },
      login:
        landing.authentication === 'keyauth' && landing.privateKey
          ? {
              username: landingLogin.name,
              privateKey: landing.privateKey,
              ...(landing.passphrase ? { passphrase: landing.passphrase } : {}),
            }
          : { username: landingLogin.name, password: passwordOf('landing server login', landingLogin) },
    };
  }

  const target: SshTarget = {
    kind: 'ssh',
    endpoint,
    login,
    ...(landingHop ? { landing: landingHop } : {}),
    ...(elevation ? { elevation } : {}),
    prompts: config.prompts,
    removeEnter: config.removeEnter,
    hostKeys,
  };
  return { target, used };
}
