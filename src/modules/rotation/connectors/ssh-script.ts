import { randomBytes } from 'node:crypto';
import type { Secret } from '../../../platform/crypto/secret.js';
import type { SshTarget } from './connector.js';
import { elevate, expectOr, waitingFor } from './ssh.js';
import { connectTarget, type Operation } from './ssh-session.js';
import { InteractiveShell, promptPattern } from './ssh-shell.js';

/**
 * Running one fixed `sh -c` script on a Linux target as root (or the login user when no elevation
 * is configured): the authorized_keys connector (ADR 033) and certificate deployment (ADR 041)
 * both work this way. The script's text is fixed by the caller; only validated arguments and a
 * random marker are put on the command line, and anything secret goes to the script's stdin.
 */

export interface ScriptRun {
  readonly status: number;
  readonly output: string;
}

/**
 * Logs in, elevates when the login user is not root and elevation is configured, and turns echo
 * off, so that lines written to the script are not echoed back into the transcript.
 */
export async function openScriptShell(
  op: Operation,
  target: SshTarget,
  maxBuffer?: number,
): Promise<InteractiveShell> {
  const client = await connectTarget(op, target, target.login);
  const shell = await InteractiveShell.start(op, client, target.removeEnter, maxBuffer);
  const userPrompt = promptPattern(target.prompts.user, '$');
  const rootPrompt = promptPattern(target.prompts.root, '#');
  const prompts = [
    ['root', rootPrompt],
    ['user', userPrompt],
  ] as const;
  waitingFor(op, shell, `the prompt "${target.prompts.user.trim() || '$'}"`);
  const first = await expectOr(op, shell, prompts);
  const login = target.login.username;
  const isRoot = first.which === 'root' || login === 'root' || login === target.elevation?.rootAccount;
  if (target.elevation && !isRoot) await elevate(op, shell, target, userPrompt, rootPrompt);
  shell.sendLine('stty -echo');
  waitingFor(op, shell, 'the prompt after stty');
  await expectOr(op, shell, prompts);
  return shell;
}

/**
 * Starts `script` (single-quoted: it must hold no single quote) under the name `tag` with `args`,
 * followed by the end marker carrying its exit status. Returns the run's marker: the script prints
 * `BWREADY-<id>` when it reads stdin and `BWBEGIN-<id>` before its output.
 */
export function startScript(
  shell: InteractiveShell,
  script: string,
  tag: string,
  args: readonly string[],
): string {
  if (script.includes("'")) throw new Error('a script run with sh -c must not contain a single quote');
  const id = randomBytes(6).toString('hex');
  shell.sendLine(`sh -c '${script}' ${tag} ${id} ${args.join(' ')}; printf 'BWE%s\\n' "ND-${id}-$?"`);
  return id;
}

/** The end marker of run `id` (a regular expression whose group 1 is the exit status). */
export const scriptEnd = (id: string): RegExp => new RegExp(`BWEND-${id}-(\\d+)`);

/** Waits for the end of run `id`: its exit status and what it printed after `BWBEGIN-<id>`. */
export async function scriptResult(op: Operation, shell: InteractiveShell, id: string): Promise<ScriptRun> {
  const done = await expectOr(op, shell, [['end', scriptEnd(id)]]);
  const status = Number(done.match[1]);
  const begin = `BWBEGIN-${id}\n`;
  const at = done.before.indexOf(begin);
  const output = at < 0 ? '' : done.before.slice(at + begin.length);
  if (at < 0 && status === 0) throw op.fail('protocol', 'the host answered without the expected markers');
  return { status, output };
}

/** Every credential of the target (login, landing server, root): redacted from failure texts. */
export function targetSecrets(target: SshTarget): (Secret | undefined)[] {
  return [
    target.login.password,
    target.login.privateKey,
    target.login.passphrase,
    target.landing?.login.password,
    target.landing?.login.privateKey,
    target.landing?.login.passphrase,
    target.elevation?.rootPassword,
  ];
}
