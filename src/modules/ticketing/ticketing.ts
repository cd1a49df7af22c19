import {
  TicketRefusedError,
  TicketSystemUnavailableError,
  type HttpTicketSettings,
  type TicketingSettings,
  type TicketSystem,
} from './ticketing.types.js';

/** Larger answers are not a ticket: refused as garbage rather than read into memory. */
const MAX_ANSWER_BYTES = 256 * 1024;

export function createTicketSystem(settings: TicketingSettings): TicketSystem {
  if (settings.kind === 'http') {
    if (!settings.http) throw new Error('the http ticket system needs its settings');
    return httpTicketSystem(settings.http);
  }
  const kind = settings.kind;
  return {
    kind,
    validate(ticketId) {
      if (kind === 'any' && ticketId.trim() === '') {
        return Promise.reject(new TicketRefusedError('The ticket ID is empty'));
      }
      return Promise.resolve();
    },
  };
}

/** Replaces `{ticketId}` and `{user}` (any letter case) with the URL-encoded values. */
export function ticketUrl(template: string, ticketId: string, username: string): string {
  return template
    .replace(/\{ticketid\}/gi, encodeURIComponent(ticketId))
    .replace(/\{user(name)?\}/gi, encodeURIComponent(username));
}

function httpTicketSystem(settings: HttpTicketSettings): TicketSystem {
  return {
    kind: 'http',
    async validate(ticketId, username) {
      const unavailable = (why: string) =>
        new TicketSystemUnavailableError(
          `The ticket system could not validate ticket ID ${ticketId} (${why}); nothing was released`,
        );
      const url = ticketUrl(settings.urlTemplate, ticketId, username);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (settings.authorization) headers.authorization = settings.authorization;
      let status: number;
      let text: string;
      try {
        // One signal for the whole exchange: a server that answers headers and then trickles
        // the body is cut off at the same deadline.
        const response = await fetch(url, {
          method: settings.method,
          headers,
          redirect: 'error',
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
        status = response.status;
        text = await readLimited(response);
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'TimeoutError' || name === 'AbortError')
          throw unavailable(`no answer within ${settings.timeoutMs} ms`);
        if (err instanceof TicketSystemUnavailableError) throw err;
        throw unavailable('it cannot be reached');
      }
      if (status === 404)
        throw new TicketRefusedError(`Ticket ID ${ticketId} is not known to the ticket system`);
      if (status < 200 || status > 299) throw unavailable(`it answered HTTP ${status}`);
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        throw unavailable('its answer is not JSON');
      }
      const ticketStatus = jsonPath(answer, settings.statusPath);
      if (
        typeof ticketStatus !== 'string' &&
        typeof ticketStatus !== 'number' &&
        typeof ticketStatus !== 'boolean'
      ) {
        throw unavailable(`its answer has no ${settings.statusPath}`);
      }
      const open = settings.openValues.some((v) => v.toLowerCase() === String(ticketStatus).toLowerCase());
      if (!open) {
        throw new TicketRefusedError(
          `Ticket ID ${ticketId} is not open (status "${String(ticketStatus).slice(0, 60)}"); the password was not released`,
        );
      }
      if (settings.assigneePath !== undefined) {
        const allowed = jsonPath(answer, settings.assigneePath);
        const users = Array.isArray(allowed) ? allowed : [allowed];
        if (!users.every((u) => typeof u === 'string' || u === undefined || u === null)) {
          throw unavailable(`its ${settings.assigneePath} is neither a user name nor a list of them`);
        }
        const wanted = username.toLowerCase();
        if (!users.some((u) => typeof u === 'string' && u.trim().toLowerCase() === wanted)) {
          throw new TicketRefusedError(
            `Ticket ID ${ticketId} is not assigned to ${username}; the password was not released`,
          );
        }
      }
    },
  };
}

async function readLimited(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_ANSWER_BYTES) throw new TicketSystemUnavailableError('answer too large');
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > MAX_ANSWER_BYTES) {
      throw new TicketSystemUnavailableError(
        `The ticket system's answer is larger than ${MAX_ANSWER_BYTES} bytes; nothing was released`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A small JSON path: `$`, then `.name`, `["name"]` or `[index]` steps. Anything missing reads
 * as undefined.
 */
export function jsonPath(value: unknown, path: string): unknown {
  const steps = parseJsonPath(path);
  let current: unknown = value;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
    } else {
      if (Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

const STEP = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\])/;

/** The steps of a path, or an Error naming what is wrong (used to check configuration). */
export function parseJsonPath(path: string): (string | number)[] {
  const trimmed = path.trim();
  if (!trimmed.startsWith('$')) throw new Error(`JSON path "${path}" must start with $`);
  const steps: (string | number)[] = [];
  let rest = trimmed.slice(1);
  while (rest !== '') {
    const match = STEP.exec(rest);
    if (!match) throw new Error(`JSON path "${path}" cannot be read at "${rest}"`);
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(Number(match[2]));
    else steps.push(match[3] ?? match[4] ?? '');
    rest = rest.slice(match[0].length);
  }
  return steps;
}
