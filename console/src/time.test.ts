import { describe, expect, it } from 'vitest';
import { formatRemaining, localMidnight, remainingWords } from './time';

describe('console time formatting', () => {
  it.each([
    [0, '0:00'],
    [-5_000, '0:00'],
    [1, '0:01'],
    [59_001, '1:00'],
    [61_000, '1:01'],
    [3_600_000, '1:00:00'],
    [3_661_000, '1:01:01'],
  ])('formatRemaining(%i) is %s', (ms, text) => {
    expect(formatRemaining(ms)).toBe(text);
  });

  it.each([
    [-1, 'less than a minute left'],
    [60_000, 'less than a minute left'],
    [60_001, '2 minutes left'],
    [119 * 60_000, '119 minutes left'],
    [120 * 60_000, '2 hours left'],
  ])('remainingWords(%i) is "%s"', (ms, words) => {
    expect(remainingWords(ms)).toBe(words);
  });

  it('reads a date input as local midnight, and the next day for an exclusive end', () => {
    expect(localMidnight('2026-03-01')).toBe(new Date(2026, 2, 1).getTime());
    expect(localMidnight('2026-02-28', 1)).toBe(new Date(2026, 2, 1).getTime());
    expect(localMidnight('2026-3-1')).toBeUndefined();
    expect(localMidnight('')).toBeUndefined();
  });
});
