import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, serve, type Instance, type RunningServer } from '../helpers/server.js';
import { requireBinary } from '../helpers/services.js';

/**
 * The transport and the key file (issue 11, ADR 022): on TLS 1.2 the real listener negotiates
 * only ECDHE key exchange with AEAD ciphers, never static RSA or CBC/SHA-1; TLS 1.3 works; and
 * the server warns at start when the master key file is open to group or others. The TLS
 * properties do not depend on the database, so one SQLite instance serves.
 */

type Handshake = { ok: true; protocol: string | null; cipher: string } | { ok: false; error: string };

function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      const result: Handshake = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.destroy();
      resolve(result);
    });
    socket.on('error', (err) => resolve({ ok: false, error: err.message }));
  });
}

/** `openssl s_client` against the listener; the cipher it negotiated, or undefined when refused. */
function opensslCipher(port: number, args: string[]): { cipher: string | undefined; output: string } {
  // Empty stdin: s_client ends as soon as the handshake is done (or refused).
  const run = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], {
    input: '',
    encoding: 'utf8',
    timeout: 15_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  const match = /Cipher is (\S+)/.exec(output);
  const cipher = match && match[1] !== '(NONE)' ? match[1] : undefined;
  return { cipher, output };
}

const AEAD_ECDHE = /^ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/;

describe('TLS of the real listener', () => {
  let instance: Instance;
  let server: RunningServer;

  beforeAll(async () => {
    instance = await createInstance('sqlite');
    server = await serve(instance);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  });

  it('openssl s_client: TLS 1.2 with static RSA or CBC/SHA-1 is refused, ECDHE with GCM is accepted', async (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    for (const refused of [
      'AES128-SHA',
      'AES256-SHA',
      'AES128-GCM-SHA256',
      'ECDHE-RSA-AES128-SHA',
      'ECDHE-RSA-AES256-SHA384',
    ]) {
      const { cipher, output } = opensslCipher(server.port, ['-tls1_2', '-cipher', refused]);
      expect(cipher, `${refused}: ${output.slice(-400)}`).toBeUndefined();
      expect(output, refused).toMatch(/handshake failure|no cipher|alert/i);
    }
    for (const accepted of [
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-RSA-CHACHA20-POLY1305',
    ]) {
      const { cipher, output } = opensslCipher(server.port, ['-tls1_2', '-cipher', accepted]);
      expect(cipher, output.slice(-400)).toBe(accepted);
    }
    const tls13 = opensslCipher(server.port, ['-tls1_3']);
    expect(tls13.cipher).toMatch(/^TLS_/);
  }, 120_000);

  it('of every TLS 1.2 suite this OpenSSL knows, the listener accepts only ECDHE with AEAD', async () => {
    const suites = tls
      .getCiphers()
      .map((c) => c.toUpperCase())
      .filter((c) => !c.startsWith('TLS_'));
    const accepted: string[] = [];
    for (const suite of suites) {
      const answer = await handshake(server.port, {
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
        ciphers: `${suite}:@SECLEVEL=0`,
      });
      if (answer.ok) {
        expect(answer.protocol).toBe('TLSv1.2');
        accepted.push(answer.cipher);
      }
    }
    expect(accepted.length).toBeGreaterThan(0);
    for (const cipher of accepted) expect(cipher).toMatch(AEAD_ECDHE);
    expect(accepted).toContain('ECDHE-RSA-AES128-GCM-SHA256');
  }, 120_000);

  it('refuses TLS 1.1 and accepts TLS 1.3 with its default suites', async () => {
    const old = await handshake(server.port, {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    expect(old.ok).toBe(false);
    const modern = await handshake(server.port, { minVersion: 'TLSv1.3' });
    expect(modern).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });
});

describe('the master key file mode, checked when the server starts', () => {
  let instance: Instance;

  beforeAll(async () => {
    instance = await createInstance('sqlite');
  }, 60_000);

  afterAll(() => instance?.remove());

  const startAndStop = async () => {
    const server = await serve(instance);
    await server.stop();
    return server.output();
  };

  it('warns on stderr when group or others may read or write it, and not at 0600', async () => {
    const keyFile = path.join(instance.dataDir, 'master.key');
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      chmodSync(keyFile, mode);
      const output = await startAndStop();
      expect(output, mode.toString(8)).toContain(
        `bulwark: warning: the master key file ${keyFile} has mode 0${mode.toString(8)}: group or others may read or write it`,
      );
    }
    chmodSync(keyFile, 0o600);
    expect(await startAndStop()).not.toMatch(/master key file/);
  }, 120_000);
});
