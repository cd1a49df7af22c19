import type { Secret } from '../../../platform/crypto/secret.js';
import {
  RemoteChangeFailure,
  type ConnectorResult,
  type Endpoint,
  type HostKeyPins,
  type Login,
  type SshTarget,
} from './connector.js';
import {
  isAccountName,
  KeyLineError,
  keyLine,
  parseAuthorizedKeysLine,
  parsePublicKey,
  type AuthorizedKeyLine,
  type PublicKey,
} from './ssh-authorized-keys-lines.js';
import { expectOr, waitingFor } from './ssh.js';
import { connectTarget, LoginRefused, runOperation, type Operation } from './ssh-session.js';
import { openScriptShell, scriptResult, startScript, targetSecrets, type ScriptRun } from './ssh-script.js';

export * from './ssh-authorized-keys-lines.js';

/**
 * Public keys in `~user/.ssh/authorized_keys` on a Linux host over SSH (issue 13, ADR 032,
 * docs/connectors.md "authorized_keys"): the same connection, host key pinning, landing server,
 * elevation and deadline as the password connector (ADR 025). The host runs one fixed POSIX sh
 * script; the only things interpolated into its command line are a random marker, the operation's
 * name and account names that passed isAccountName(). The key travels on the script's standard
 * input (the terminal), after the script said it is reading, and only once it was validated.
 */

export interface AuthorizedKeysRequest {
  readonly target: SshTarget;
  /** The account whose authorized_keys changes. */
  readonly user: string;
  /** An OpenSSH public key line: `type base64-key [comment]`. */
  readonly publicKey: string;
  readonly timeoutMs: number;
}

export interface AddKeyResult extends ConnectorResult {
  /** `added`: the line was appended; `present`: a line with this key was there already (untouched). */
  readonly outcome: 'added' | 'present';
  readonly fingerprint: string;
}

export interface RemoveKeyResult extends ConnectorResult {
  /** How many lines carrying the key were removed (0: it was not there). */
  readonly removed: number;
  readonly fingerprint: string;
}

export interface ListKeysRequest {
  readonly target: SshTarget;
  /** These accounts only; absent: every account with a login shell and an existing home. */
  readonly users?: readonly string[];
  readonly timeoutMs: number;
}

export interface AccountKeys {
  readonly user: string;
  /** `missing`: no authorized_keys; `unreadable`: not a regular file or no permission; `symlink`: not followed. */
  readonly file: 'present' | 'missing' | 'unreadable' | 'symlink';
  readonly keys: readonly (AuthorizedKeyLine & { readonly line: number })[];
  /** Lines sshd would not accept (reported, not fatal). */
  readonly invalid: readonly { readonly line: number; readonly text: string; readonly problem: string }[];
  /** The file is longer than what is read of it (MAX_FILE bytes). */
  readonly truncated: boolean;
}

export interface ListKeysResult extends ConnectorResult {
  readonly accounts: readonly AccountKeys[];
  /** Requested accounts the host does not know. */
  readonly unknownUsers: readonly string[];
}

export interface VerifyKeyRequest {
  readonly endpoint: Endpoint;
  readonly hostKeys: HostKeyPins;
  readonly landing?: SshTarget['landing'];
  readonly user: string;
  readonly privateKey: Secret;
  readonly passphrase?: Secret;
  readonly timeoutMs: number;
}

export interface AuthorizedKeysConnector {
  addKey(request: AuthorizedKeysRequest): Promise<AddKeyResult>;
  removeKey(request: AuthorizedKeysRequest): Promise<RemoveKeyResult>;
  listKeys(request: ListKeysRequest): Promise<ListKeysResult>;
  /** Logs in as `user` with the key: `opens` or `refused`; other failures reject. */
  verifyKeyLogin(
    request: VerifyKeyRequest,
  ): Promise<ConnectorResult & { readonly outcome: 'opens' | 'refused' }>;
}

/** Bytes of each authorized_keys file read by listKeys. */
export const MAX_FILE = 64 * 1024;

/** The listing is read whole through the terminal (hex doubles it). */
const LIST_BUFFER = 8 * 1024 * 1024;

export function createAuthorizedKeysConnector(): AuthorizedKeysConnector {
  return {
    addKey: (request) => change('add', request),
    removeKey: (request) => change('remove', request),
    listKeys,
    verifyKeyLogin,
  };
}

/** What went wrong, for callers that answer differently (e.g. "unknown user on the host"). */
export type AuthorizedKeysProblem =
  /** Refused before connecting: */
  | 'invalid-key'
  | 'invalid-account-name'
  /** Refused by the host's script before anything was written: */
  | 'unknown-account'
  | 'no-home'
  | 'unsafe-path'
  | 'not-permitted'
  | 'host-unsupported'
  | 'garbled-input'
  /** Writing failed (the original file is intact: it is replaced only by a complete copy). */
  | 'write-failed';

/** A RemoteChangeFailure that also says which authorized_keys problem it is. */
export class AuthorizedKeysFailure extends RemoteChangeFailure {
  constructor(
    readonly problem: AuthorizedKeysProblem,
    reason: RemoteChangeFailure['reason'],
    message: string,
    targetMayHaveChanged: boolean,
    observed: RemoteChangeFailure['observedHostKeys'] = [],
  ) {
    super(reason, message, targetMayHaveChanged, observed);
    this.name = 'AuthorizedKeysFailure';
  }
}

function invalid(problem: AuthorizedKeysProblem, message: string): RemoteChangeFailure {
  return new AuthorizedKeysFailure(problem, 'protocol', message, false);
}

function checkTarget(target: SshTarget): void {
  if (target.kind !== 'ssh')
    throw new RemoteChangeFailure(
      'protocol',
      'the authorized_keys connector got a target that is not SSH',
      false,
    );
}

function checkUser(user: string): void {
  if (!isAccountName(user))
    throw invalid(
      'invalid-account-name',
      `"${user.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}" is not a Linux account name`,
    );
}

function validKey(publicKey: string): PublicKey {
  try {
    return parsePublicKey(publicKey);
  } catch (err) {
    if (err instanceof KeyLineError)
      throw invalid('invalid-key', `the public key is refused: ${err.message}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The remote script (POSIX sh, one line, no single quote: it is sent as `sh -c '<script>'`).
// $1 marker, $2 operation (add, remove, list), then account names. Exit statuses: see FAILURES.

const PREFIX = ['export LC_ALL=C', 'm=$1; op=$2; shift 2', 'hex() { od -An -v -tx1 | tr -d " \\n"; }'].join(
  '; ',
);

/**
 * add/remove: say READY, read one line ("#" + data: a misrouted line is a shell comment), then
 * find the account (getent), refuse symlinks and directories not owned by it, and replace the file
 * atomically (temporary file in the same directory, `cp -p` for mode and owner, then `mv`).
 */
const CHANGE = [
  'u=$1',
  'printf "BWR%s\\n" "EADY-$m"',
  'IFS= read -r d || exit 20',
  'case $d in "#"*) d=${d#?};; *) exit 20;; esac',
  'printf "BWB%s\\n" "EGIN-$m"',
  'command -v getent >/dev/null 2>&1 || exit 17',
  'e=$(getent passwd "$u") || exit 10',
  '[ "${e%%:*}" = "$u" ] || exit 10',
  'uid=$(printf %s "$e" | cut -d: -f3); gid=$(printf %s "$e" | cut -d: -f4); h=$(printf %s "$e" | cut -d: -f6)',
  'me=$(id -u); [ "$me" = 0 ] || [ "$me" = "$uid" ] || exit 16',
  'case $h in /*) ;; *) exit 11;; esac',
  '[ -d "$h" ] || exit 11',
  't=${d%% *}; b=${d#* }; b=${b%% *}; export t b',
  // A line carries the key when a field is the blob right after a field that is its type. The key
  // reaches awk through the environment (ENVIRON is POSIX), never through an argument list.
  'k="{m=0; for(i=2;i<=NF;i++) if(\\$i==ENVIRON[\\"b\\"] && \\$(i-1)==ENVIRON[\\"t\\"]) m=1}"',
  's="$h/.ssh"; f=authorized_keys',
  'if [ ! -e "$s" ] && [ ! -L "$s" ]; then [ "$op" = add ] || { echo BWSTATE=absent; exit 0; }; mkdir -m 700 "$s" && chown "$uid:$gid" "$s" || exit 14; fi',
  '[ -d "$s" ] && [ ! -L "$s" ] || exit 12',
  'cd "$s" || exit 12',
  '[ "$(ls -ldn . | awk "{print \\$3}")" = "$uid" ] || exit 12',
  'if [ -L $f ] || { [ -e $f ] && [ ! -f $f ]; }; then exit 13; fi',
  'n=0; [ -f $f ] && n=$(awk "$k m{c++} END{print c+0}" $f)',
  'if [ "$op" = add ] && [ "$n" != 0 ]; then echo BWSTATE=present; exit 0; fi',
  'if [ "$op" = remove ] && [ "$n" = 0 ]; then echo BWSTATE=absent; exit 0; fi',
  'x=$(mktemp ./.authorized_keys.XXXXXX) || exit 14',
  'trap "rm -f \\"\\$x\\"" EXIT',
  'if [ "$op" = add ]; then if [ -f $f ]; then cp -p $f "$x" && cat $f > "$x" || exit 14; if [ -s $f ] && [ "$(tail -c 1 $f | od -An -tx1 | tr -d " ")" != 0a ]; then echo >> "$x"; fi; else chmod 600 "$x" && chown "$uid:$gid" "$x" || exit 14; fi; printf "%s\\n" "$d" >> "$x" || exit 14',
  'else cp -p $f "$x" && awk "$k !m" $f > "$x" || exit 14; fi',
  'mv -f "$x" $f || exit 14',
  'trap - EXIT',
  '[ "$op" = add ] && echo BWSTATE=added || echo "BWSTATE=removed-$n"',
].join('; ');

/**
 * list: one line per account, names and file contents in hex (a file may hold anything, and the
 * answer passes through a terminal): `K name content`, `N name` (no file), `E name` (unreadable),
 * `S name` (a symlink: not followed as root), `X name` (unknown account).
 */
const LIST = [
  'printf "BWB%s\\n" "EGIN-$m"',
  'command -v getent >/dev/null 2>&1 || exit 17',
  'all=0; [ $# -gt 0 ] || all=1',
  '{ if [ $all = 0 ]; then for u; do getent passwd "$u" || printf "%s:?\\n" "$u"; done; else getent passwd; fi; } | while IFS=: read -r n p uid gid g h sh; do ' +
    'nh=$(printf %s "$n" | hex); ' +
    'if [ -z "$uid" ]; then echo "X $nh"; continue; fi; ' +
    'if [ $all = 1 ]; then case $sh in ""|*/nologin|*/false) continue;; esac; [ -d "$h" ] || continue; fi; ' +
    'f="$h/.ssh/authorized_keys"; ' +
    'if [ -L "$h/.ssh" ] || [ -L "$f" ]; then echo "S $nh"; ' +
    // A home or .ssh the login cannot enter (not root, no elevation) is unreadable, not "no file".
    'elif [ ! -x "$h" ] || { [ -d "$h/.ssh" ] && [ ! -x "$h/.ssh" ]; }; then echo "E $nh"; ' +
    'elif [ ! -e "$f" ]; then echo "N $nh"; ' +
    'elif [ ! -f "$f" ] || [ ! -r "$f" ]; then echo "E $nh"; ' +
    `else echo "K $nh $(head -c ${MAX_FILE + 1} "$f" | hex)"; fi; done`,
].join('; ');

function script(body: string): string {
  const text = `${PREFIX}; ${body}`;
  if (text.includes("'")) throw new Error('the authorized_keys script must not contain a single quote');
  return text;
}

const FAILURES: Record<number, readonly [AuthorizedKeysProblem, string]> = {
  10: ['unknown-account', 'there is no such account on the host'],
  11: ['no-home', "the account's home directory (from getent passwd) does not exist"],
  12: ['unsafe-path', "the account's .ssh is a symlink, not a directory, or not owned by the account"],
  13: ['unsafe-path', "the account's authorized_keys is a symlink or not a regular file"],
  14: ['write-failed', 'writing authorized_keys failed (disk full, read-only file system, or no permission)'],
  16: [
    'not-permitted',
    'the login user may not change this account (not root there, and no elevation configured)',
  ],
  17: ['host-unsupported', 'the host has no getent'],
  20: ['garbled-input', 'the data line did not arrive intact'],
};

/**
 * Logs in, elevates when the login user is not root and elevation is configured, and runs the
 * script; `input` (one line) is written once the script says it reads.
 */
async function runScript(
  op: Operation,
  target: SshTarget,
  body: string,
  args: readonly string[],
  input: string | undefined,
  maxBuffer?: number,
): Promise<ScriptRun> {
  const shell = await openScriptShell(op, target, maxBuffer);
  // Everything on the command line is fixed text, the marker (hex) and validated account names.
  const id = startScript(shell, script(body), 'bwak', args);
  if (input !== undefined) {
    waitingFor(op, shell, 'the authorized_keys script starting');
    await expectOr(op, shell, [['ready', new RegExp(`BWREADY-${id}`)]]);
    op.newPasswordSent = true;
    shell.sendLine(`#${input}`);
    op.onTimeout(() =>
      op.fail(
        'timeout',
        `the host did not report the result within ${op.timeoutMs} ms; authorized_keys may have changed`,
      ),
    );
  } else {
    waitingFor(op, shell, 'the listing of authorized_keys');
  }
  return scriptResult(op, shell, id);
}

/** The failure for a non-zero exit status of the script (built inside the operation: redacted). */
function failureFor(op: Operation, status: number, user: string, output: string): RemoteChangeFailure {
  const known = FAILURES[status];
  if (!known)
    return op.fail(
      'protocol',
      `the authorized_keys script failed for ${user} (exit status ${status}): ${output.slice(-200)}`,
      true,
    );
  const [problem, why] = known;
  const reason = problem === 'not-permitted' ? 'authentication' : 'protocol';
  // Every known status but write-failed is a refusal before anything was written.
  return new AuthorizedKeysFailure(
    problem,
    reason,
    op.redact(`${user}: ${why}`),
    problem === 'write-failed',
    [...op.observedHostKeys],
  );
}

/**
 * runOperation turns whatever is thrown inside into a plain RemoteChangeFailure; a script's
 * failure is returned from the operation instead and thrown after it, keeping its problem.
 */
type Outcome<T> = { readonly ok: T } | { readonly failed: RemoteChangeFailure };

function unwrap<T>(outcome: Outcome<T>): T {
  if ('failed' in outcome) throw outcome.failed;
  return outcome.ok;
}

async function change(
  operation: 'add' | 'remove',
  request: AuthorizedKeysRequest,
): Promise<AddKeyResult & RemoveKeyResult> {
  checkTarget(request.target);
  checkUser(request.user);
  const key = validKey(request.publicKey);
  const data = operation === 'add' ? keyLine(key) : `${key.type} ${key.blob}`;
  const outcome = await runOperation(
    request.timeoutMs,
    targetSecrets(request.target),
    async (op): Promise<Outcome<AddKeyResult & RemoveKeyResult>> => {
      const run = await runScript(op, request.target, CHANGE, [operation, request.user], data);
      if (run.status !== 0) return { failed: failureFor(op, run.status, request.user, run.output) };
      const state = /BWSTATE=(added|present|absent|removed-(\d+))/.exec(run.output);
      if (!state) throw op.fail('protocol', 'the host did not say what it did', true);
      const removed = state[2] ? Number(state[2]) : 0;
      return {
        ok: {
          outcome: state[1] === 'present' ? 'present' : 'added',
          removed,
          fingerprint: key.fingerprint,
          observedHostKeys: [...op.observedHostKeys],
        },
      };
    },
  );
  return unwrap(outcome);
}

function fromHex(hex: string): string {
  return Buffer.from(hex, 'hex').toString('utf8');
}

function parseAccount(user: string, state: string, content: string | undefined): AccountKeys {
  const files = { K: 'present', N: 'missing', E: 'unreadable', S: 'symlink' } as const;
  const file = files[state as keyof typeof files];
  const keys: (AuthorizedKeyLine & { line: number })[] = [];
  const bad: { line: number; text: string; problem: string }[] = [];
  let truncated = false;
  if (content !== undefined) {
    let bytes = Buffer.from(content, 'hex');
    if (bytes.length > MAX_FILE) {
      truncated = true;
      bytes = bytes.subarray(0, MAX_FILE);
    }
    const lines = bytes.toString('utf8').split('\n');
    if (truncated) lines.pop();
    lines.forEach((text, i) => {
      const parsed = parseAuthorizedKeysLine(text);
      if (parsed.kind === 'key') keys.push({ ...parsed.key, line: i + 1 });
      else if (parsed.kind === 'invalid')
        bad.push({ line: i + 1, text: parsed.text, problem: parsed.problem });
    });
  }
  return { user, file, keys, invalid: bad, truncated };
}

async function listKeys(request: ListKeysRequest): Promise<ListKeysResult> {
  checkTarget(request.target);
  const users = request.users ?? [];
  if (request.users && users.length === 0) throw invalid('invalid-account-name', 'no account to list');
  for (const user of users) checkUser(user);
  const outcome = await runOperation(
    request.timeoutMs,
    targetSecrets(request.target),
    async (op): Promise<Outcome<ListKeysResult>> => {
      const run = await runScript(op, request.target, LIST, ['list', ...users], undefined, LIST_BUFFER);
      if (run.status !== 0)
        return { failed: failureFor(op, run.status, users.join(', ') || 'the accounts', run.output) };
      const accounts: AccountKeys[] = [];
      const unknownUsers: string[] = [];
      for (const line of run.output.split('\n')) {
        const m = /^([KNESX]) ([0-9a-f]*)(?: ([0-9a-f]*))?$/.exec(line.trim());
        if (!m) continue;
        const [, state = '', name = '', content] = m;
        const user = fromHex(name);
        if (state === 'X') unknownUsers.push(user);
        else accounts.push(parseAccount(user, state, state === 'K' ? (content ?? '') : undefined));
      }
      return { ok: { accounts, unknownUsers, observedHostKeys: [...op.observedHostKeys] } };
    },
  );
  return unwrap(outcome);
}

async function verifyKeyLogin(
  request: VerifyKeyRequest,
): Promise<ConnectorResult & { readonly outcome: 'opens' | 'refused' }> {
  checkUser(request.user);
  const login: Login = {
    username: request.user,
    privateKey: request.privateKey,
    ...(request.passphrase ? { passphrase: request.passphrase } : {}),
  };
  const target: SshTarget = {
    kind: 'ssh',
    endpoint: request.endpoint,
    login,
    ...(request.landing ? { landing: request.landing } : {}),
    prompts: { user: '$', root: '#' },
    removeEnter: false,
    hostKeys: request.hostKeys,
  };
  const secrets = [request.privateKey, request.passphrase, ...targetSecrets(target)];
  try {
    return await runOperation(request.timeoutMs, secrets, async (op) => {
      await connectTarget(op, target, login);
      return { outcome: 'opens' as const, observedHostKeys: [...op.observedHostKeys] };
    });
  } catch (err) {
    if (err instanceof LoginRefused && err.hop === 'target')
      return { outcome: 'refused', observedHostKeys: err.observedHostKeys };
    throw err;
  }
}
