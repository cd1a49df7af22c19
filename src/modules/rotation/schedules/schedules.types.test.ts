import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../platform/errors.js';
import { firstRun, isExpired, nextRunAfter, validateCron } from './schedules.types.js';

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

/** Next-run computation with fixed instants (no clock, no timers). */
describe('rotation schedule timing', () => {
  it('every N days: the planned run plus N days, skipping runs missed while down (no backlog)', () => {
    const planned = at('2027-01-01T02:00:00Z');
    const timing = { kind: 'interval', days: 7 } as const;
    // Run on time: the next is exactly a week later.
    expect(nextRunAfter(timing, planned, planned, 'UTC')).toBe(planned + 7 * DAY);
    // Run 3 hours late: still planned from the schedule, not from the late run.
    expect(nextRunAfter(timing, planned, planned + 3 * 3_600_000, 'UTC')).toBe(planned + 7 * DAY);
    // Down for 20 days: the next planned time after now, once (three weeks after).
    expect(nextRunAfter(timing, planned, planned + 20 * DAY, 'UTC')).toBe(planned + 21 * DAY);
    // Exactly on a later boundary: strictly after it.
    expect(nextRunAfter(timing, planned, planned + 14 * DAY, 'UTC')).toBe(planned + 21 * DAY);
  });

  it('every N days: the first run is one interval from now, or the start given (past: due at once)', () => {
    const now = at('2027-03-10T12:00:00Z');
    expect(firstRun({ kind: 'interval', days: 30 }, undefined, now, 'UTC')).toBe(now + 30 * DAY);
    expect(firstRun({ kind: 'interval', days: 30 }, now - 1000, now, 'UTC')).toBe(now - 1000);
    const later = at('2027-04-01T00:00:00Z');
    expect(firstRun({ kind: 'interval', days: 30 }, later, now, 'UTC')).toBe(later);
  });

  it('cron: the next matching minute, strictly after, in the instance time zone', () => {
    const timing = { kind: 'cron', expression: '30 2 * * 1' } as const; // Mondays 02:30
    // Friday 2027-01-01 12:00 UTC → Monday 2027-01-04 02:30 UTC.
    expect(nextRunAfter(timing, 0, at('2027-01-01T12:00:00Z'), 'UTC')).toBe(at('2027-01-04T02:30:00Z'));
    // At exactly that minute: the following Monday.
    expect(nextRunAfter(timing, 0, at('2027-01-04T02:30:00Z'), 'UTC')).toBe(at('2027-01-11T02:30:00Z'));
    // Europe/Berlin is UTC+1 in January: 02:30 local is 01:30 UTC.
    expect(nextRunAfter(timing, 0, at('2027-01-01T12:00:00Z'), 'Europe/Berlin')).toBe(
      at('2027-01-04T01:30:00Z'),
    );
    // …and UTC+2 in July (daylight saving time).
    expect(nextRunAfter(timing, 0, at('2027-07-01T12:00:00Z'), 'Europe/Berlin')).toBe(
      at('2027-07-05T00:30:00Z'),
    );
  });

  it('cron: month ends and steps', () => {
    const monthly = { kind: 'cron', expression: '0 3 1 * *' } as const;
    expect(nextRunAfter(monthly, 0, at('2027-01-31T05:00:00Z'), 'UTC')).toBe(at('2027-02-01T03:00:00Z'));
    const quarterHours = { kind: 'cron', expression: '*/15 * * * *' } as const;
    expect(nextRunAfter(quarterHours, 0, at('2027-01-01T10:07:59Z'), 'UTC')).toBe(at('2027-01-01T10:15:00Z'));
  });

  it('cron: the first run is the first match at or after the start, never before now', () => {
    const daily = { kind: 'cron', expression: '0 4 * * *' } as const;
    const now = at('2027-05-05T10:00:00Z');
    expect(firstRun(daily, undefined, now, 'UTC')).toBe(at('2027-05-06T04:00:00Z'));
    expect(firstRun(daily, at('2027-06-01T04:00:00Z'), now, 'UTC')).toBe(at('2027-06-01T04:00:00Z'));
    expect(firstRun(daily, at('2020-01-01T00:00:00Z'), now, 'UTC')).toBe(at('2027-05-06T04:00:00Z'));
  });

  it('validates cron expressions: five fields naming a future time', () => {
    const now = at('2027-01-01T00:00:00Z');
    expect(() => validateCron('0 3 * * 1-5', 'UTC', now)).not.toThrow();
    for (const bad of ['', 'every day', '* * * *', '0 0 0 * * *', '61 * * * *', '0 25 * * *', '0 0 31 2 *']) {
      expect(() => validateCron(bad, 'UTC', now), bad).toThrow(InvalidInputError);
    }
    expect(() => validateCron('0 0 31 2 *', 'UTC', now)).toThrow(/never runs/);
  });

  it('a password expires when it is as old as its policy validity; 0 never expires', () => {
    const changed = at('2027-01-01T00:00:00Z');
    expect(isExpired(changed, 30, changed + 30 * DAY - 1)).toBe(false);
    expect(isExpired(changed, 30, changed + 30 * DAY)).toBe(true);
    expect(isExpired(changed, 0, changed + 10_000 * DAY)).toBe(false);
  });
});
