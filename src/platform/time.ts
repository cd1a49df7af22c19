/**
 * Timestamps as PMP renders them, in the server's configured time zone.
 * Formatters are cached per zone: Intl.DateTimeFormat construction is slow.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface TimeFormatter {
  /** "Sep 10, 2013 3:33 PM" (account details, resource lists). */
  pmpDateTime(epochMs: number): string;
  /** "2019-01-03 14:51:06.666" (audit records). */
  auditTime(epochMs: number): string;
  /** "09/02/2023 01:03:31" (month/day/year, 24 h; the agent key's end time, endpoint 88). */
  slashDateTime(epochMs: number): string;
  /** Epoch ms of the midnight that starts the day containing `epochMs`, `dayOffset` days away. */
  startOfDay(epochMs: number, dayOffset?: number): number;
}

export function createTimeFormatter(timeZone: string): TimeFormatter {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });

  const partsOf = (epochMs: number): Parts => {
    const out: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(epochMs))) {
      if (part.type !== 'literal') out[part.type] = Number(part.value);
    }
    return out as unknown as Parts;
  };

  /** Offset of the zone from UTC at the given instant, in ms. */
  const offsetAt = (epochMs: number): number => {
    const p = partsOf(epochMs);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return asUtc - (epochMs - (epochMs % 1000));
  };

  const pad = (n: number, width = 2) => String(n).padStart(width, '0');

  return {
    pmpDateTime(epochMs) {
      const p = partsOf(epochMs);
      const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
      return `${MONTHS[p.month - 1]} ${p.day}, ${p.year} ${hour12}:${pad(p.minute)} ${p.hour < 12 ? 'AM' : 'PM'}`;
    },
    auditTime(epochMs) {
      const p = partsOf(epochMs);
      const ms = ((epochMs % 1000) + 1000) % 1000;
      return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(ms, 3)}`;
    },
    slashDateTime(epochMs) {
      const p = partsOf(epochMs);
      return `${pad(p.month)}/${pad(p.day)}/${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
    },
    startOfDay(epochMs, dayOffset = 0) {
      const p = partsOf(epochMs);
      const midnightAsUtc = Date.UTC(p.year, p.month - 1, p.day + dayOffset, 0, 0, 0);
      // Correct by the zone offset at (approximately) that midnight; twice handles DST edges.
      let guess = midnightAsUtc - offsetAt(midnightAsUtc);
      guess = midnightAsUtc - offsetAt(guess);
      return guess;
    },
  };
}
