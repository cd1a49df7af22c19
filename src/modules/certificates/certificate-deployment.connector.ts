import { Secret } from '../../platform/crypto/secret.js';
import {
  expectOr,
  isAccountName,
  openScriptShell,
  RemoteChangeFailure,
  runOperation,
  scriptEnd,
  scriptResult,
  startScript,
  targetSecrets,
  waitingFor,
  type ConnectorResult,
  type Operation,
  type ScriptRun,
  type SshTarget,
} from '../rotation/index.js';

/**
 * Certificate files onto a Linux host over SSH (endpoint 64, ADR 041): the same connection, host
 * key pinning, landing server, elevation and deadline as the password and authorized_keys
 * connectors (ADR 025, 032). The host runs one fixed POSIX sh script; its command line holds only
 * a random marker and paths and an owner that passed the checks below. The files (and the reload
 * command) travel on the script's standard input, base64 in short `#`-prefixed lines, after the
 * script said it reads. Each file is written to a temporary file in its target directory, given
 * its mode and owner, and only once every file is complete are they renamed over the old ones.
 */

export interface CertificateFile {
  /** Absolute path on the host (checked by {@link checkPath}). */
  readonly path: string;
  readonly content: Buffer;
  /** e.g. 0o644 for the chain, 0o600 for the key and a PFX. */
  readonly mode: number;
  /** Key material: its transfer lines are redacted from every failure text. */
  readonly secret: boolean;
}

export interface CertificateFilesRequest {
  readonly target: SshTarget;
  /** The chain first; then the key and a PFX when deployed. */
  readonly files: readonly CertificateFile[];
  /** `user` or `user:group` for chown; undefined: whoever writes (the login, root when elevated). */
  readonly owner?: string | undefined;
  /** Run with sh after the files are in place (its own standard input is /dev/null). */
  readonly reloadCommand?: string | undefined;
  readonly timeoutMs: number;
}

export interface CertificateFilesResult extends ConnectorResult {
  readonly written: readonly string[];
  readonly reloaded: boolean;
}

export interface CertificateFilesConnector {
  write(request: CertificateFilesRequest): Promise<CertificateFilesResult>;
}

/** What the deployment reports as the reason of a refusal by the host. */
export type CertificateFilesProblem =
  | 'invalid-path'
  | 'invalid-owner'
  | 'no-directory'
  | 'unsafe-path'
  | 'write-failed'
  | 'unknown-owner'
  | 'host-unsupported'
  | 'garbled-input'
  | 'reload-failed';

export class CertificateFilesFailure extends RemoteChangeFailure {
  constructor(
    readonly problem: CertificateFilesProblem,
    reason: RemoteChangeFailure['reason'],
    message: string,
    targetMayHaveChanged: boolean,
    observed: RemoteChangeFailure['observedHostKeys'] = [],
  ) {
    super(reason, message, targetMayHaveChanged, observed);
    this.name = 'CertificateFilesFailure';
  }
}

/** Paths: absolute, no `..` or `.` component, no empty component, a small safe alphabet. */
const PATH = /^(?:\/[A-Za-z0-9._+@-]+)+$/;
export const MAX_PATH = 1024;

/** Why a path is refused, or undefined when it is fine. */
export function pathProblem(path: string): string | undefined {
  if (path.length > MAX_PATH) return `is longer than ${MAX_PATH} characters`;
  if (!path.startsWith('/')) return 'is not absolute';
  if (path.split('/').some((part) => part === '..' || part === '.')) return "contains '..' or '.'";
  if (!PATH.test(path))
    return 'may hold only letters, digits and . _ + @ - between single slashes, and must not end with a slash';
  return undefined;
}

/** `user` or `user:group`, both Linux account names. */
export function ownerProblem(owner: string): string | undefined {
  const parts = owner.split(':');
  if (parts.length > 2 || parts.some((p) => !isAccountName(p)))
    return 'must be a Linux account name, optionally followed by :group';
  return undefined;
}

function refused(problem: CertificateFilesProblem, message: string): CertificateFilesFailure {
  return new CertificateFilesFailure(problem, 'protocol', message, false);
}

// ---------------------------------------------------------------------------------------------
// The remote script (POSIX sh, one line, no single quote: it is sent as `sh -c '<script>'`).
// $1 marker, $2 owner or -, then slot=path pairs (c, k, p). Exit statuses: see FAILURES.

/** Bytes of a failed reload command's output sent back (`tail -c 300` in SCRIPT). */
const RELOAD_OUTPUT_TAIL = 300;

const SCRIPT = [
  'export LC_ALL=C',
  'm=$1; ow=$2; shift 2',
  'umask 077',
  'w=$(mktemp -d) || exit 14',
  'trap "[ -f \\"\\$w/tmps\\" ] && xargs rm -f < \\"\\$w/tmps\\"; rm -rf \\"\\$w\\"" EXIT',
  'printf "BWR%s\\n" "EADY-$m"',
  // `#F slot size`, then `#D base64` lines, up to `#E`. A misrouted line is a shell comment.
  'while IFS= read -r l; do case $l in "#E") break;; "#F "*) f=${l#???}; n=${f#* }; f=${f%% *}; case $f in c|k|p|r) ;; *) exit 20;; esac; printf "%s\\n" "$n" > "$w/$f.len";; "#D "*) printf "%s\\n" "${l#???}" >> "$w/$f.b64";; *) exit 20;; esac; done',
  'printf "BWB%s\\n" "EGIN-$m"',
  'command -v base64 >/dev/null 2>&1 || exit 17',
  // Every target is checked before anything is written.
  'for a; do s=${a%%=*}; p=${a#*=}; printf "BWAT=%s\\n" "$s"; case $p in /*) ;; *) exit 10;; esac; d=${p%/*}; [ -n "$d" ] || d=/; [ -d "$d" ] || exit 11; if [ -L "$p" ] || { [ -e "$p" ] && [ ! -f "$p" ]; }; then exit 12; fi; [ -f "$w/$s.b64" ] || exit 20; done',
  // Each file complete, with its mode and owner, in a temporary file beside its target.
  'for a; do s=${a%%=*}; p=${a#*=}; printf "BWAT=%s\\n" "$s"; d=${p%/*}; [ -n "$d" ] || d=/; t=$(mktemp "$d/.bulwark-cert.XXXXXX") || exit 14; printf "%s\\n" "$t" >> "$w/tmps"; base64 -d < "$w/$s.b64" > "$t" || exit 20; [ "$(wc -c < "$t" | tr -d " ")" = "$(cat "$w/$s.len")" ] || exit 20; case $s in c) md=644;; *) md=600;; esac; chmod $md "$t" || exit 14; if [ "$ow" != - ]; then chown "$ow" "$t" || exit 15; fi; printf "%s %s\\n" "$t" "$p" >> "$w/moves"; done',
  'while read -r t p; do mv -f "$t" "$p" || exit 14; done < "$w/moves"',
  'echo BWSTATE=written',
  'if [ -f "$w/r.b64" ]; then base64 -d < "$w/r.b64" > "$w/r" || exit 20; sh "$w/r" < /dev/null > "$w/out" 2>&1; s=$?; printf "BWRELOAD=%s\\n" "$s"; if [ $s != 0 ]; then printf "BWOUT=%s\\n" "$(tail -c 300 "$w/out" | od -An -v -tx1 | tr -d " \\n")"; exit 30; fi; fi',
].join('; ');

const FAILURES: Record<number, readonly [CertificateFilesProblem, string]> = {
  10: ['invalid-path', 'is not an absolute path'],
  11: ['no-directory', 'is in a directory that does not exist on the host'],
  12: ['unsafe-path', 'is a symlink or not a regular file on the host; it is not replaced'],
  14: ['write-failed', 'could not be written (no permission, disk full or a read-only file system)'],
  15: ['unknown-owner', 'could not be given the owner (unknown user or group, or no permission to chown)'],
  17: ['host-unsupported', 'could not be written: the host has no base64 (coreutils)'],
  20: ['garbled-input', 'did not arrive intact'],
};

const SLOT_NAMES: Record<string, string> = {
  c: 'certificate',
  k: 'private key',
  p: 'PFX',
  r: 'reload command',
};

/** Base64 in lines short enough for any terminal's line buffer. */
function lines(slot: string, content: Buffer): string[] {
  const out = [`#F ${slot} ${content.length}`];
  const text = content.toString('base64');
  for (let i = 0; i < text.length; i += 76) out.push(`#D ${text.slice(i, i + 76)}`);
  return out;
}

/**
 * The tail of a failed reload command's output as it may be told (a deployment's outcome is
 * shown to every viewer of the certificate and goes into the audit text): a reload command can
 * print the key file it was given, so every line of the secret files' plain text, any PEM
 * private key block (or its cut-off tail) and every long base64 run are taken out, and
 * unprintable bytes (a binary keystore) shown as '?'.
 */
export function tellableReloadOutput(output: string, secretFiles: readonly Buffer[], cut: boolean): string {
  // A tail cut mid-line starts with a fragment no whole-line rule recognises: dropped.
  let out = cut ? output.slice(output.indexOf('\n') + 1) : output;
  for (const file of secretFiles) {
    for (const line of file.toString('utf8').split(/\r?\n/)) {
      const value = line.trim();
      if (value.length >= 8) out = out.split(value).join('[redacted]');
    }
  }
  return out
    .replace(
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
      '[redacted private key]',
    )
    .replace(/-----END [A-Z0-9 ]*PRIVATE KEY-----/g, '[redacted private key]')
    .replace(/[A-Za-z0-9+/=]{32,}/g, '[redacted]')
    .replace(/[^\x20-\x7e\n\t]/g, '?')
    .trim();
}

export function createCertificateFilesConnector(): CertificateFilesConnector {
  return { write };
}

const SLOTS = ['c', 'k', 'p'] as const;

async function write(request: CertificateFilesRequest): Promise<CertificateFilesResult> {
  const { target, files } = request;
  if (target.kind !== 'ssh')
    throw refused('invalid-path', 'the certificate files connector needs an SSH target');
  if (files.length === 0 || files.length > SLOTS.length) throw refused('invalid-path', 'no file to write');
  for (const file of files) {
    const why = pathProblem(file.path);
    if (why) throw refused('invalid-path', `the path ${file.path.slice(0, 80)} ${why}`);
  }
  if (new Set(files.map((f) => f.path)).size !== files.length)
    throw refused('invalid-path', 'the files must go to different paths');
  if (request.owner !== undefined) {
    const why = ownerProblem(request.owner);
    if (why) throw refused('invalid-owner', `the owner ${request.owner.slice(0, 40)} ${why}`);
  }
  const payload: string[] = [];
  const hidden: Secret[] = [];
  files.forEach((file, i) => {
    const part = lines(SLOTS[i]!, file.content);
    if (file.secret) for (const line of part.slice(1)) hidden.push(new Secret(line.slice(3)));
    payload.push(...part);
  });
  if (request.reloadCommand !== undefined) payload.push(...lines('r', Buffer.from(request.reloadCommand)));
  payload.push('#E');
  const args = [request.owner ?? '-', ...files.map((f, i) => `${SLOTS[i]!}=${f.path}`)];
  const pathOf = (slot: string) => files[SLOTS.indexOf(slot as (typeof SLOTS)[number])]?.path;

  const outcome = await runOperation(
    request.timeoutMs,
    [...targetSecrets(target), ...hidden],
    async (op): Promise<{ ok: CertificateFilesResult } | { failed: RemoteChangeFailure }> => {
      const run = await runScript(op, target, args, payload);
      const at = [...run.output.matchAll(/BWAT=([ckp])/g)].pop()?.[1];
      const written = /BWSTATE=written/.test(run.output);
      if (run.status === 30) {
        const hex = /BWOUT=([0-9a-f]*)/.exec(run.output)?.[1] ?? '';
        const said = op.redact(
          tellableReloadOutput(
            Buffer.from(hex, 'hex').toString('utf8'),
            files.filter((f) => f.secret).map((f) => f.content),
            hex.length >= 2 * RELOAD_OUTPUT_TAIL,
          ),
        );
        const code = /BWRELOAD=(\d+)/.exec(run.output)?.[1] ?? '?';
        return {
          failed: new CertificateFilesFailure(
            'reload-failed',
            'protocol',
            `the files were written, but the reload command failed (exit status ${code})${said ? `: ${said}` : ''}`,
            true,
            [...op.observedHostKeys],
          ),
        };
      }
      if (run.status !== 0) {
        const known = FAILURES[run.status];
        const file = at ? `the ${SLOT_NAMES[at]} file ${pathOf(at) ?? ''}` : 'a file';
        if (!known)
          return {
            failed: op.fail(
              'protocol',
              `writing the certificate files failed (exit status ${run.status}): ${run.output.slice(-200)}`,
              written,
            ),
          };
        const [problem, why] = known;
        return {
          failed: new CertificateFilesFailure(
            problem,
            'protocol',
            op.redact(`${file} ${why}; nothing was replaced`),
            false,
            [...op.observedHostKeys],
          ),
        };
      }
      if (!written) throw op.fail('protocol', 'the host did not say it wrote the files', true);
      return {
        ok: {
          written: files.map((f) => f.path),
          reloaded: request.reloadCommand !== undefined,
          observedHostKeys: [...op.observedHostKeys],
        },
      };
    },
  );
  if ('failed' in outcome) throw outcome.failed;
  return outcome.ok;
}

/** Logs in, elevates when configured, runs the script and feeds it the payload once it reads. */
async function runScript(
  op: Operation,
  target: SshTarget,
  args: readonly string[],
  payload: readonly string[],
): Promise<ScriptRun> {
  const shell = await openScriptShell(op, target);
  // Everything on the command line is fixed text, the marker (hex) and checked paths and owner.
  const id = startScript(shell, SCRIPT, 'bwcd', args);
  waitingFor(op, shell, 'the certificate files script starting');
  const ready = await expectOr(op, shell, [
    ['ready', new RegExp(`BWREADY-${id}`)],
    ['end', scriptEnd(id)],
  ]);
  if (ready.which === 'end') return { status: Number(ready.match[1]), output: '' };
  op.newPasswordSent = true;
  for (const line of payload) shell.sendLine(line);
  op.onTimeout(() =>
    op.fail(
      'timeout',
      `the host did not report the result within ${op.timeoutMs} ms; the certificate files may have been replaced`,
    ),
  );
  return scriptResult(op, shell, id);
}
