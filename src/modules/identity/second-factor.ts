import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { encodeBase32, totp, TOTP_DEFAULTS } from '../../platform/crypto/totp.js';

/**
 * The second factor of console sign-in (ADR 042): TOTP as authenticator apps do it (SHA-1, six
 * digits, 30 s; RFC 6238) and one-time recovery codes.
 */

export const TOTP_PERIOD_SECONDS = TOTP_DEFAULTS.period;
/** Steps accepted either side of now: a phone's clock a little off still signs in. */
const STEP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export interface Enrolment {
  readonly secret: string;
  readonly otpauthUri: string;
  readonly qrSvg: string;
}

/** Where a user's TOTP secret is sealed: bound to the user's row like any sealed column. */
const TOTP_COLUMN = { table: 'users', column: 'totp_secret_sealed' } as const;

/** Seals a user's second-factor secret (pending in a session, or enrolled on the user). */
export function sealSecondFactor(keyring: Keyring, secret: Buffer, userId: number): Buffer {
  return keyring.seal(secret, { ...TOTP_COLUMN, rowId: userId });
}

/**
 * Opens a user's second-factor secret to check a code against it: the one opening of a sealed
 * value outside the vault (release-gate.test.ts allows this file only). It is a credential the
 * server verifies, never released: nothing here answers it to anyone.
 */
export function openSecondFactor(keyring: Keyring, sealed: Buffer, userId: number): Buffer {
  return keyring.open(sealed, { ...TOTP_COLUMN, rowId: userId });
}

/** A fresh 160-bit secret (RFC 4226's recommended length). */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

export async function enrolmentOf(secret: Buffer, username: string): Promise<Enrolment> {
  const base32 = encodeBase32(secret);
  const label = encodeURIComponent(`Bulwark:${username}`);
  const otpauthUri = `otpauth://totp/${label}?secret=${base32}&issuer=Bulwark&algorithm=SHA1&digits=6&period=${TOTP_PERIOD_SECONDS}`;
  // Loaded on first use: every CLI command starts the services, and none of them draws QR codes.
  const { default: QRCode } = await import('qrcode');
  const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret: base32, otpauthUri, qrSvg };
}

/**
 * The time step a six-digit `code` is right for, within the window around `nowMs`, or
 * undefined. Later steps first, so a code is tied to the newest step it matches.
 */
export function matchingStep(secret: Buffer, code: string, nowMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const now = Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
  for (let step = now + STEP_WINDOW; step >= now - STEP_WINDOW; step--) {
    if (totp(secret, step * TOTP_PERIOD_SECONDS, TOTP_DEFAULTS) === code) return step;
  }
  return undefined;
}

export function currentStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** Ten codes of ten characters (about 49 bits each), shown as `xxxxx-xxxxx`. */
export function newRecoveryCodes(): string[] {
  const codes: string[] = [];
  while (codes.length < RECOVERY_CODE_COUNT) {
    let chars = '';
    for (let i = 0; i < 10; i++) chars += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    codes.push(`${chars.slice(0, 5)}-${chars.slice(5)}`);
  }
  return codes;
}

/** Recovery codes typed back: case, spaces and the hyphen do not matter. */
export function normaliseRecoveryCode(code: string): string | undefined {
  const cleaned = code.toLowerCase().replace(/[\s-]/g, '');
  return /^[a-z0-9]{10}$/.test(cleaned) ? cleaned : undefined;
}

/** Stored as SHA-256: the codes are random, so a fast hash is enough (as for API tokens). */
export function hashRecoveryCode(normalised: string): string {
  return createHash('sha256').update(`recovery:${normalised}`).digest('hex');
}
