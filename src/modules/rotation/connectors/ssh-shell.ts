import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import type { Operation } from './ssh-session.js';

/**
 * An interactive shell in a pseudo-terminal, driven by expecting text and sending lines. It has
 * no timer of its own: the operation's deadline ends every wait (the connection is closed, which
 * rejects the pending expect).
 */

/** Output kept for matching is bounded: a target that floods the terminal cannot exhaust memory. */
const MAX_BUFFER = 64 * 1024;

/** Terminal control sequences (colours, bracketed paste, window titles) and carriage returns. */
const CONTROL =
  /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()][0-9A-Za-z]|\u001b[=>]|\r/g;

export function cleanTerminalText(raw: string): string {
  return raw.replace(CONTROL, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Matches a shell prompt at the very end of the output, ignoring trailing spaces and tabs. An
 * empty prompt would match any output: `fallback` ($ or #) stands in for it.
 */
export function promptPattern(prompt: string, fallback: '$' | '#'): RegExp {
  return new RegExp(`${escapeRegExp(prompt.trim() || fallback)}[ \\t]*$`);
}

/**
 * passwd's questions, tried in this order at the end of the output: Debian's `Current password:`,
 * `New password:`, `Retype new password:`, and older or other forms (`(current) UNIX password:`,
 * `Enter new UNIX password:`, `Retype new UNIX password:`, `Old Password:`, `Re-enter new password:`).
 */
export const PASSWD_PROMPTS = [
  [
    'retype',
    /(?:(?:retype|re-enter|reenter|repeat|confirm|verify)[^:\n]*password|password[^:\n]*again)[^:\n]*:[ \t]*$/i,
  ],
  ['new', /new[^:\n]*password[^:\n]*:[ \t]*$/i],
  ['current', /password[^:\n]*:[ \t]*$/i],
] as const;

export class ShellClosed extends Error {
  constructor(readonly output: string) {
    super('the shell closed');
  }
}

export interface Expected<K extends string> {
  /** The name of the pattern that matched. */
  readonly which: K;
  /** The output before the match (terminal sequences removed). */
  readonly before: string;
  readonly match: RegExpExecArray;
}

export class InteractiveShell {
  #raw = '';
  #everReceived = false;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #decoder = new StringDecoder('utf8');

  private constructor(
    private readonly channel: ClientChannel,
    /** What ends a line: "\n", or "\r" when REMOVEENTER is set (see docs/connectors.md). */
    private readonly enter: string,
    maxBuffer: number,
  ) {
    const onData = (chunk: Buffer) => {
      this.#everReceived = true;
      this.#raw += this.#decoder.write(chunk);
      if (this.#raw.length > maxBuffer) this.#raw = this.#raw.slice(-maxBuffer);
      this.#wake?.();
    };
    channel.on('data', onData);
    channel.stderr.on('data', onData);
    channel.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    channel.on('error', () => undefined);
  }

  /**
   * Opens a shell with a pseudo-terminal (TERM=dumb, wide: no colours, no line wrapping).
   * `maxBuffer`: how much unconsumed output is kept (a command whose whole answer is read at once,
   * such as a listing of authorized_keys files, needs more than the default).
   */
  static start(
    op: Operation,
    client: Client,
    removeEnter: boolean,
    maxBuffer = MAX_BUFFER,
  ): Promise<InteractiveShell> {
    op.onTimeout(() => op.fail('timeout', `the target did not open a shell within ${op.timeoutMs} ms`));
    return new Promise((resolve, reject) => {
      client.shell({ term: 'dumb', rows: 50, cols: 400 }, (err, channel) => {
        if (err) reject(op.fail('protocol', `the target refused to open a shell: ${err.message}`));
        else resolve(new InteractiveShell(channel, removeEnter ? '\r' : '\n', maxBuffer));
      });
    });
  }

  /** Whether the target has sent anything at all. */
  received(): boolean {
    return this.#everReceived;
  }

  /**
   * Waits until one of the patterns (tried in order) matches the output not yet consumed; the
   * output up to the match is consumed. Rejects with ShellClosed when the shell ends first.
   */
  expect<K extends string>(patterns: readonly (readonly [K, RegExp])[]): Promise<Expected<K>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const text = cleanTerminalText(this.#raw);
        for (const [which, pattern] of patterns) {
          const match = pattern.exec(text);
          if (match) {
            this.#raw = '';
            this.#wake = undefined;
            resolve({ which, before: text.slice(0, match.index), match });
            return;
          }
        }
        if (this.#closed) {
          this.#wake = undefined;
          reject(new ShellClosed(text));
        }
      };
      this.#wake = check;
      check();
    });
  }

  /** Sends a line (a command or an answer) followed by the configured Enter. */
  sendLine(text: string): void {
    if (!this.#closed) this.channel.write(`${text}${this.enter}`);
  }

  /** Sends control characters as they are (e.g. "\u0003" to interrupt, "\u0004" for end of input). */
  sendControl(text: string): void {
    if (!this.#closed) this.channel.write(text);
  }

  close(): void {
    this.channel.close();
  }
}
