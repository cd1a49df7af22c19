import { randomBytes } from 'node:crypto';
import {
  RemoteChangeFailure,
  type ChangeRequest,
  type ConnectorResult,
  type RemoteConnector,
  type SshTarget,
  type VerifyRequest,
} from './connector.js';
import { connectTarget, LoginRefused, runOperation, type Operation } from './ssh-session.js';
import { InteractiveShell, PASSWD_PROMPTS, promptPattern, ShellClosed } from './ssh-shell.js';

/**
 * Linux over SSH (ssh2). See docs/connectors.md and ADR 025. Passwords travel only over the
 * SSH protocol and into the pseudo-terminal (answers to prompts, chpasswd's stdin), never in a
 * command line; every failure is a RemoteChangeFailure without any secret.
 */
export function createSshConnector(): RemoteConnector {
  return {
    changePassword(request) {
      if (request.target.kind !== 'ssh') return Promise.reject(notSsh());
      return changePassword(request, request.target);
    },
    verifyPassword(request) {
      if (request.target.kind !== 'ssh') return Promise.reject(notSsh());
      return verifyPassword(request, request.target);
    },
  };
}

function notSsh(): RemoteChangeFailure {
  return new RemoteChangeFailure('protocol', 'the SSH connector got a target that is not SSH', false);
}

/** Linux account names as useradd accepts them (no ':' or line break: chpasswd's line format). */
const ACCOUNT_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}\$?$/;

/** Characters a terminal in canonical mode would interpret (line ends, ^C, ^D, ^U, DEL …). */
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f]/;

/** Phrases of PAM and passwd that mean "this password is not acceptable here". */
const POLICY_TEXT =
  /BAD PASSWORD|longer password|too short|too simple|too similar|palindrome|dictionary|case changes only|rotated|not contain enough|password unchanged|same as the old|was already used|reuse|minimum|maximum number of retries|exhausted/i;

function nonce(): string {
  return randomBytes(6).toString('hex');
}

function secretsOf(target: SshTarget, ...more: (ChangeRequest['currentPassword'] | undefined)[]) {
  return [
    target.login.password,
    target.login.privateKey,
    target.login.passphrase,
    target.landing?.login.password,
    target.landing?.login.privateKey,
    target.landing?.login.passphrase,
    target.elevation?.rootPassword,
    ...more,
  ];
}

async function changePassword(request: ChangeRequest, target: SshTarget): Promise<ConnectorResult> {
  const secrets = secretsOf(target, request.currentPassword, request.newPassword);
  return runOperation(request.timeoutMs, secrets, async (op) => {
    if (!ACCOUNT_NAME.test(request.account))
      throw op.fail('protocol', `"${request.account}" is not a Linux account name`);
    if (TERMINAL_CONTROL.test(request.newPassword.reveal()))
      throw op.fail(
        'policy',
        'the new password contains a line break or control character, which cannot be typed into a terminal',
      );
    const client = await connectTarget(op, target, target.login);
    const shell = await InteractiveShell.start(op, client, target.removeEnter);
    const userPrompt = promptPattern(target.prompts.user, '$');
    const rootPrompt = promptPattern(target.prompts.root, '#');
    waitingFor(op, shell, `the prompt "${target.prompts.user.trim() || '$'}"`);
    const first = await expectOr(op, shell, [
      ['root', rootPrompt],
      ['user', userPrompt],
    ]);
    const login = target.login.username;
    if (!target.elevation && login === request.account) {
      await changeOwnPassword(op, shell, request, userPrompt, rootPrompt);
    } else {
      const isRoot = first.which === 'root' || login === 'root' || login === target.elevation?.rootAccount;
      if (target.elevation && !isRoot) await elevate(op, shell, target, userPrompt, rootPrompt);
      await chpasswd(op, shell, request, target, { user: userPrompt, root: rootPrompt });
    }
    return { observedHostKeys: [...op.observedHostKeys] };
  });
}

/** From now on, the deadline means "the prompt never came" (or "timeout" when nothing came at all). */
export function waitingFor(op: Operation, shell: InteractiveShell, what: string): void {
  op.onTimeout(() =>
    shell.received()
      ? op.fail('prompt', `the target did not show ${what} within ${op.timeoutMs} ms`)
      : op.fail('timeout', `the target's shell sent nothing within ${op.timeoutMs} ms`),
  );
}

/** After the new password went out: running out of time leaves the outcome unknown. */
function waitingForResult(op: Operation, tool: string): void {
  op.onTimeout(() =>
    op.fail(
      'timeout',
      `${tool} did not report its result within ${op.timeoutMs} ms; the password may have changed on the target`,
    ),
  );
}

/** expect() whose "the shell closed" becomes a failure naming what the connector waited for. */
export async function expectOr<K extends string>(
  op: Operation,
  shell: InteractiveShell,
  patterns: readonly (readonly [K, RegExp])[],
) {
  try {
    return await shell.expect(patterns);
  } catch (err) {
    if (err instanceof ShellClosed)
      throw op.fail('prompt', `the target closed the shell unexpectedly: ${err.output.slice(-200)}`);
    throw err;
  }
}

/** The login user changes its own password with passwd, answering its prompts. */
async function changeOwnPassword(
  op: Operation,
  shell: InteractiveShell,
  request: ChangeRequest,
  userPrompt: RegExp,
  rootPrompt: RegExp,
): Promise<void> {
  const id = nonce();
  const exit = new RegExp(`BWEXIT-${id}-(\\d+)`);
  shell.sendLine(`passwd; echo BWEXIT-${id}-$?`);
  let currentSent = false;
  let retypeSent = false;
  for (;;) {
    if (retypeSent) waitingForResult(op, 'passwd');
    else waitingFor(op, shell, "passwd's next prompt");
    const step = await expectOr(op, shell, [
      ['exit', exit],
      ...PASSWD_PROMPTS,
      ['shell', rootPrompt],
      ['shell', userPrompt],
    ]);
    const said = step.before;
    switch (step.which) {
      case 'current':
        if (currentSent) {
          shell.sendControl('\u0003');
          throw op.fail('authentication', 'passwd refused the current password', false);
        }
        if (!request.currentPassword)
          throw op.fail('protocol', 'passwd asks for the current password, which the vault does not have');
        shell.sendLine(request.currentPassword.reveal());
        currentSent = true;
        break;
      case 'new':
        if (op.newPasswordSent) {
          shell.sendControl('\u0003');
          throw policyRefusal(op, said);
        }
        op.newPasswordSent = true;
        shell.sendLine(request.newPassword.reveal());
        break;
      case 'retype':
        if (!op.newPasswordSent) throw op.fail('prompt', `passwd asked something unexpected: ${said}`);
        shell.sendLine(request.newPassword.reveal());
        retypeSent = true;
        break;
      case 'exit': {
        if (step.match[1] === '0') return;
        if (POLICY_TEXT.test(said) && !/token manipulation/i.test(said)) throw policyRefusal(op, said);
        if (currentSent && !op.newPasswordSent)
          throw op.fail('authentication', `passwd refused the current password: ${said}`, false);
        throw op.fail('protocol', `passwd failed: ${said}`);
      }
      case 'shell':
        throw op.fail('prompt', `passwd ended without a result: ${said}`);
    }
  }
}

function policyRefusal(op: Operation, said: string): RemoteChangeFailure {
  const why = op.redact(said).replace(/^passwd:\s*/i, '');
  return op.fail('policy', `the target refused the new password${why ? `: ${why}` : ''}`, false);
}

/** Becomes root with sudo (the login user's password) or su (the root account's password). */
export async function elevate(
  op: Operation,
  shell: InteractiveShell,
  target: SshTarget,
  userPrompt: RegExp,
  rootPrompt: RegExp,
): Promise<void> {
  const elevation = target.elevation;
  if (!elevation) return;
  let asks: RegExp;
  let answer: string | undefined;
  if (elevation.type === 'sudo') {
    const marker = `BWSUDO-${nonce()}:`;
    asks = new RegExp(`${marker}[ \\t]*$`);
    answer = target.login.password?.reveal();
    shell.sendLine(`sudo -p '${marker} ' -i`);
  } else {
    if (!ACCOUNT_NAME.test(elevation.rootAccount))
      throw op.fail('protocol', `"${elevation.rootAccount}" is not a Linux account name`);
    asks = /password[^:\n]*:[ \t]*$/i;
    answer = elevation.rootPassword?.reveal();
    shell.sendLine(`su - ${elevation.rootAccount}`);
  }
  const tool = elevation.type;
  waitingFor(op, shell, `${tool}'s password prompt or the root prompt`);
  const first = await expectOr(op, shell, [
    ['asks', asks],
    ['root', rootPrompt],
    ['user', userPrompt],
  ]);
  if (first.which === 'root') return;
  if (first.which === 'user') throw op.fail('authentication', `${tool} refused to elevate: ${first.before}`);
  if (!answer) {
    shell.sendControl('\u0003');
    throw op.fail('authentication', `${tool} asks for a password and none is configured for it`);
  }
  shell.sendLine(answer);
  waitingFor(op, shell, `the root prompt "${target.prompts.root.trim() || '#'}" after ${tool}`);
  const second = await expectOr(op, shell, [
    ['asks', asks],
    ['root', rootPrompt],
    ['user', userPrompt],
  ]);
  if (second.which === 'root') return;
  if (second.which === 'asks') shell.sendControl('\u0003');
  if (second.which === 'user' && /sudoers|not allowed|may not run/i.test(second.before))
    throw op.fail(
      'authentication',
      `sudo does not let ${target.login.username} become root: ${second.before}`,
    );
  const whose = tool === 'sudo' ? "the login user's password" : `the password of ${elevation.rootAccount}`;
  throw op.fail('authentication', `${tool} refused ${whose}`);
}

/** As root: echo off, chpasswd reading `account:password` from the terminal, exit status by a marker. */
async function chpasswd(
  op: Operation,
  shell: InteractiveShell,
  request: ChangeRequest,
  target: SshTarget,
  prompts: { readonly user: RegExp; readonly root: RegExp },
): Promise<void> {
  const { user: userPrompt, root: rootPrompt } = prompts;
  shell.sendLine('stty -echo');
  waitingFor(op, shell, 'the root prompt after stty');
  const prompt = await expectOr(op, shell, [
    ['root', rootPrompt],
    ['user', userPrompt],
  ]);
  if (prompt.which === 'user')
    throw op.fail(
      'prompt',
      `the target shows the user prompt, not the root prompt: ${target.login.username} is not root there and no elevation (su or sudo) is configured`,
    );
  const id = nonce();
  // The markers are printed with printf/$? so that the echoed command line never matches them.
  shell.sendLine(`printf 'BWR%s\\n' EADY-${id}; chpasswd; echo BWEXIT-${id}-$?`);
  waitingFor(op, shell, 'chpasswd starting');
  await expectOr(op, shell, [['ready', new RegExp(`BWREADY-${id}`)]]);
  // bash has put the terminal back in canonical mode before running the line: chpasswd reads this.
  op.newPasswordSent = true;
  shell.sendLine(`${request.account}:${request.newPassword.reveal()}`);
  shell.sendControl('\u0004');
  waitingForResult(op, 'chpasswd');
  const done = await expectOr(op, shell, [['exit', new RegExp(`BWEXIT-${id}-(\\d+)`)]]);
  if (done.match[1] === '0') return;
  if (POLICY_TEXT.test(done.before)) throw policyRefusal(op, done.before);
  throw op.fail('protocol', `chpasswd failed (exit status ${done.match[1]}): ${done.before}`);
}

async function verifyPassword(
  request: VerifyRequest,
  target: SshTarget,
): Promise<ConnectorResult & { readonly outcome: 'opens' | 'refused' }> {
  try {
    return await runOperation(request.timeoutMs, [...secretsOf(target), request.password], async (op) => {
      await connectTarget(op, target, { username: request.account, password: request.password });
      return { outcome: 'opens' as const, observedHostKeys: [...op.observedHostKeys] };
    });
  } catch (err) {
    if (err instanceof LoginRefused && err.hop === 'target')
      return { outcome: 'refused', observedHostKeys: err.observedHostKeys };
    throw err;
  }
}
