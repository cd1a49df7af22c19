import { useEffect, useState } from 'react';

/** Date.now(), refreshed every `intervalMs` while `active` (countdowns follow the clock). */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/** A remaining time as h:mm:ss or m:ss (never negative). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A remaining time in words, for screen readers and titles ("12 minutes left"). */
export function remainingWords(ms: number): string {
  const minutes = Math.ceil(Math.max(0, ms) / 60_000);
  if (minutes <= 1) return 'less than a minute left';
  if (minutes < 120) return `${minutes} minutes left`;
  return `${Math.round(minutes / 60)} hours left`;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** An epoch-ms instant in the browser's local time. */
export function formatDateTime(epochMs: number): string {
  return DATE_TIME.format(new Date(epochMs));
}

export function formatDate(epochMs: number): string {
  return DATE.format(new Date(epochMs));
}

/** `YYYY-MM-DD` (an <input type=date> value) as local midnight in epoch ms; plus `days` days. */
export function localMidnight(value: string, days = 0): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days).getTime();
}
