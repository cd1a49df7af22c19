import { DomainError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';

/**
 * How ticket ids given with a retrieval are validated (ADR 010):
 * - `none`: no ticket system; ids are recorded in the audit trail, never checked;
 * - `any`: any non-empty id is accepted (a stand-in for a ticket system that is not wired yet);
 * - `http`: the organisation's ticketing system is asked over HTTP(S) whether the ticket is open
 *   and whether the requester may use it.
 */
export type TicketSystemKind = 'none' | 'any' | 'http';

export interface HttpTicketSettings {
  /** URL template; `{ticketId}` and `{user}` are replaced by the URL-encoded values. */
  readonly urlTemplate: string;
  readonly method: 'GET' | 'POST';
  /** Hard limit on the whole exchange (connect, answer, body). */
  readonly timeoutMs: number;
  /** JSON path (`$.a.b`, `$.items[0].state`) of the ticket's status in the answer. */
  readonly statusPath: string;
  /** Status values (compared ignoring case) that mean the ticket is open. */
  readonly openValues: readonly string[];
  /** JSON path of the user (a string) or users (a list of strings) who may use the ticket; unset: anyone. */
  readonly assigneePath: string | undefined;
  /** Value of the Authorization header sent to the ticket system, if any. Never logged. */
  readonly authorization: string | undefined;
}

export interface TicketingSettings {
  readonly kind: TicketSystemKind;
  readonly http: HttpTicketSettings | undefined;
}

export interface TicketSystem {
  readonly kind: TicketSystemKind;
  /**
   * Resolves when `ticketId` may be used by `username`; otherwise throws TicketRefusedError (the
   * ticket system said no) or TicketSystemUnavailableError (no usable answer in time).
   */
  validate(ticketId: string, username: string): Promise<void>;
}

/** The ticket system answered, and the ticket may not be used (closed, unknown, someone else's). */
export class TicketRefusedError extends DomainError {
  readonly code = RESULT_CODES.ticketRefused.code;
}

/** The ticket system could not be asked or gave no usable answer: nothing is released. */
export class TicketSystemUnavailableError extends DomainError {
  readonly code = RESULT_CODES.ticketSystemUnavailable.code;
}
