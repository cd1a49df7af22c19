import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tellableReloadOutput } from './certificate-deployment.connector.js';

const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const body = keyPem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));

describe('tellableReloadOutput', () => {
  it('keeps what a reload command says about itself', () => {
    expect(tellableReloadOutput('nginx: [emerg] unknown directive "ssl_foo"\n', [], false)).toBe(
      'nginx: [emerg] unknown directive "ssl_foo"',
    );
  });

  it('takes out the lines of a secret file printed as they are', () => {
    const said = tellableReloadOutput(`reloading\n${keyPem}done\n`, [Buffer.from(keyPem)], false);
    for (const line of body) expect(said).not.toContain(line.slice(-12));
    expect(said).toMatch(/^reloading\n/);
    expect(said).toMatch(/done$/);
  });

  it('takes out any private key block, whole or cut off, and long base64 runs of any file', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const cutOff = other.slice(0, 80);
    expect(tellableReloadOutput(`a\n${other}b\n`, [], false)).toBe('a\n[redacted private key]\nb');
    expect(tellableReloadOutput(`a\n${cutOff}`, [], false)).toBe('a\n[redacted private key]');
    const base64 = Buffer.from('x'.repeat(60)).toString('base64');
    expect(tellableReloadOutput(`said ${base64} here`, [], false)).toBe('said [redacted] here');
  });

  it('drops the fragment a cut tail starts with, and shows unprintable bytes as ?', () => {
    const cut = `${body[0]!.slice(-10)}\nerror\u0000\u00ff\n`;
    expect(tellableReloadOutput(cut, [], true)).toBe('error??');
  });
});
