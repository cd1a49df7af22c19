import { Cron } from 'croner';
import { InvalidInputError } from '../../../platform/errors.js';

export const SCHEDULE_LIMITS = {
  name: 200,
  cron: 120,
  /** At most one run a day for every-N-days schedules, at least one every ten years. */
  maxIntervalDays: 3650,
} as const;

const DAY_MS = 86_400_000;

/** What a schedule covers: one account, every account of a resource, or of a resource group. */
export type ScheduleScope =
  | { readonly kind: 'account'; readonly id: number }
  | { readonly kind: 'resource'; readonly id: number }
  | { readonly kind: 'group'; readonly id: number };

/** rotate: a fresh password of the governing policy; verify: check the vault's password opens the target. */
export type ScheduleAction = 'rotate' | 'verify';

/** Every N days, or a five-field cron expression read in the instance's time zone. */
export type ScheduleTiming =
  | { readonly kind: 'interval'; readonly days: number }
  | { readonly kind: 'cron'; readonly expression: string };

export interface ScheduleDraft {
  readonly name: string;
  readonly action: ScheduleAction;
  readonly scope: ScheduleScope;
  readonly timing: ScheduleTiming;
  /** Rotate only the accounts whose password has expired (policy validity); rotate schedules only. */
  readonly onlyExpired: boolean;
  readonly enabled: boolean;
  /** The first run (epoch ms, or now); absent: one interval from now, or the cron's next time. */
  readonly startAt: number | 'now' | undefined;
}

/** A change to a schedule: undefined leaves a field as it is. The scope never changes. */
export interface SchedulePatch {
  readonly name?: string;
  readonly action?: ScheduleAction;
  readonly timing?: ScheduleTiming;
  readonly onlyExpired?: boolean;
  readonly enabled?: boolean;
  readonly startAt?: number | 'now';
}

export interface Schedule {
  readonly id: number;
  readonly name: string;
  readonly action: ScheduleAction;
  readonly scope: ScheduleScope;
  /** The account, resource or group name, as the caller may see it. */
  readonly scopeName: string;
  readonly timing: ScheduleTiming;
  readonly onlyExpired: boolean;
  readonly enabled: boolean;
  readonly nextRunAt: number;
  readonly lastRunAt: number | undefined;
  readonly lastSummary: string | undefined;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly modifiedAt: number;
}

export function scheduleNameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}

function cronOf(expression: string, timeZone: string): Cron {
  // 5-part: minute precision (no per-second rotations); paused: a pattern, never a timer.
  return new Cron(expression, { timezone: timeZone, mode: '5-part', paused: true });
}

/**
 * Checks a cron expression: five fields (minute hour day-of-month month day-of-week) that name
 * at least one future time. Throws InvalidInputError with croner's reason otherwise.
 */
export function validateCron(expression: string, timeZone: string, now: number): void {
  let next: Date | null;
  try {
    next = cronOf(expression, timeZone).nextRun(new Date(now));
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : 'not understood';
    throw new InvalidInputError(`CRON: "${expression.slice(0, 60)}" is not a valid cron expression: ${why}`);
  }
  if (next === null) {
    throw new InvalidInputError(`CRON: "${expression.slice(0, 60)}" never runs`);
  }
}

/**
 * The run after `after` (epoch ms; strictly later). Every N days: the previous planned run plus N
 * days, as many times as needed to pass `after` (a node that was down does not run a backlog).
 * Cron: the expression's next time after `after`, in `timeZone` (daylight saving as croner does).
 */
export function nextRunAfter(
  timing: ScheduleTiming,
  previousPlanned: number,
  after: number,
  timeZone: string,
): number {
  if (timing.kind === 'interval') {
    const step = timing.days * DAY_MS;
    if (previousPlanned > after) return previousPlanned;
    const steps = Math.floor((after - previousPlanned) / step) + 1;
    return previousPlanned + steps * step;
  }
  const next = cronOf(timing.expression, timeZone).nextRun(new Date(after));
  // A pattern validated at creation always has a next run; a far-future guard instead of a crash.
  return next === null ? Number.MAX_SAFE_INTEGER : next.getTime();
}

/** The first run of a new (or re-timed) schedule. */
export function firstRun(
  timing: ScheduleTiming,
  startAt: number | undefined,
  now: number,
  timeZone: string,
): number {
  if (timing.kind === 'interval') return startAt ?? now + timing.days * DAY_MS;
  // "Not before startAt": the first cron time at or after it (or after now).
  const from = startAt === undefined ? now : Math.max(startAt - 1, now);
  return nextRunAfter(timing, from, from, timeZone);
}

/** Whether a password changed at `changedAt` has outlived `validityDays` (0: never expires) at `now`. */
export function isExpired(changedAt: number, validityDays: number, now: number): boolean {
  return validityDays > 0 && now - changedAt >= validityDays * DAY_MS;
}
