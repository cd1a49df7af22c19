/**
 * The certificate calls of pypmp (PasswordManagerProClient), made on the wire exactly as that
 * client makes them: AUTHTOKEN as a query parameter; for GET, INPUT_DATA in the query as Python's
 * `json.dumps` writes it (", " and ": " separators) and `requests` encodes it (form encoding,
 * spaces as '+'); for other methods INPUT_DATA form-encoded in the body. Each answer is read the
 * way pypmp reads it: `SSLCertificates`, the raw file, the passphrase as the last word of
 * `result.message`, the details as every top-level key but `name` and `result`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pypmpCertificateDetails } from '../helpers/certificate-pki.js';
import { rawRequest, type RawResponse } from '../helpers/client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const PKI = '/api/pki/restapi';

/** Python's json.dumps with its default separators (the JSON pypmp sends). */
const pythonJson = (value: unknown): string =>
  JSON.stringify(value).replace(/","/g, '", "').replace(/":/g, '": ').replace(/},"/g, '}, "');

/** requests' form encoding of a dict (urlencode with quote_plus: spaces as '+'). */
const formEncoded = (params: Record<string, string>): string => new URLSearchParams(params).toString();

const detailsOf = (fields: Record<string, string>) => ({ operation: { Details: fields } });

describe.each(dialects())('pypmp certificate calls on %s', (dialect) => {
  let server: RunningServer;
  let o: OpensslCerts;
  const passphrase = `pypmp-${randomBytes(6).toString('hex')}`;
  let certPath = '';

  /** PasswordManagerProClient._pki_request */
  async function pkiRequest(
    method: 'get' | 'post' | 'delete',
    endpoint: string,
    jdata?: Record<string, unknown>,
  ): Promise<RawResponse> {
    const params: Record<string, string> = { AUTHTOKEN: server.token };
    let body: string | undefined;
    if (method === 'get' && jdata) params.INPUT_DATA = pythonJson(jdata);
    else if (jdata) body = formEncoded({ INPUT_DATA: pythonJson(jdata) });
    const answer = await rawRequest(server.baseUrl, {
      method: method.toUpperCase(),
      path: `${PKI}/${endpoint}?${formEncoded(params)}`,
      headers: body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    // res.raise_for_status()
    expect(answer.status, answer.text).toBeLessThan(400);
    return answer;
  }
  const json = async (method: 'get' | 'post' | 'delete', endpoint: string, jdata?: Record<string, unknown>) =>
    JSON.parse((await pkiRequest(method, endpoint, jdata)).text) as Record<string, any>;

  beforeAll(async () => {
    server = await startServer(dialect);
    o = opensslCerts();
    const key = o.key('pypmp', 'rsa:2048', passphrase);
    certPath = o.cert('pypmp', {
      key,
      subject: '/CN=pypmp.example/O=Bulwark Test',
      san: 'DNS:pypmp.example',
    });
    // Added the way the reference's curl sample does (pypmp has no add).
    const boundary = `----pypmp${randomBytes(6).toString('hex')}`;
    const part = (name: string, value: string | Buffer, file?: string) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ''}\r\n\r\n`,
        ),
        Buffer.from(value),
        Buffer.from('\r\n'),
      ]);
    const added = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: `${PKI}/addCertificate`,
      headers: { AUTHTOKEN: server.token, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.concat([
        part('INPUT_DATA', JSON.stringify(detailsOf({ fileType: 'CERTFILE', passphrase }))),
        part('File', o.file(certPath), 'pypmp.pem'),
        part('privateKey', o.file(key), 'pypmp.key'),
        Buffer.from(`--${boundary}--\r\n`),
      ]),
    });
    expect(JSON.parse(added.text).result.status, added.text).toBe('Success');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    o?.cleanup();
  });

  it('get_all_certificates and get_all_certificate_expiry read SSLCertificates', async () => {
    const res = await json('get', 'getAllSSLCertificates');
    expect(res.result.status).toBe('Success');
    const listed = res.SSLCertificates as any[];
    expect(listed.map((c) => c['Common Name'])).toEqual(['pypmp.example']);
    expect(listed[0].SHA256Fingerprint).toBe(
      o.x509(certPath, '-noout', '-fingerprint', '-sha256').trim().split('=')[1],
    );
    // 34 with pypmp's GET shape: INPUT_DATA in the query, AUTHTOKEN beside it.
    const expiry = await json('get', 'getAllSSLCertsExpiryDate', { operation: { Details: { days: '400' } } });
    expect(expiry.result.status).toBe('Success');
    expect((expiry.details as any[]).map((c) => c['Common Name'])).toEqual(['pypmp.example']);
  });

  it('get_certificate returns the PEM file, with and without the serial number', async () => {
    const serial = (await json('get', 'getAllSSLCertificates')).SSLCertificates[0].serialNumber as string;
    const expected = o.x509(certPath, '-noout', '-fingerprint', '-sha256').trim();
    const selectors: Record<string, string>[] = [
      { common_name: 'pypmp.example' },
      { common_name: 'pypmp.example', serial_number: serial },
    ];
    for (const fields of selectors) {
      const file = await pkiRequest('get', 'getCertificate', detailsOf(fields));
      expect(file.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
      const written = path.join(o.dir, 'pypmp-got.pem');
      writeFileSync(written, file.body);
      expect(o.x509(written, '-noout', '-fingerprint', '-sha256').trim()).toBe(expected);
    }
  });

  it('get_certificate_passphrase: the last word of result.message is the passphrase', async () => {
    const serial = (await json('get', 'getAllSSLCertificates')).SSLCertificates[0].serialNumber as string;
    const res = await json(
      'get',
      'getCertificatePassphrase',
      detailsOf({ common_name: 'pypmp.example', serial_number: serial }),
    );
    const msg = res.result.message as string;
    expect(msg).toContain('Private key passphrase of certificate');
    expect(msg.split(' ').at(-1)).toBe(passphrase);
  });

  it('get_certificate_details: every top-level key but name and result is the one certificate', async () => {
    const res = await json('get', 'getCertificateDetails', detailsOf({ common_name: 'pypmp.example' }));
    const cert = pypmpCertificateDetails(res) as Record<string, any>;
    expect(Array.isArray(cert)).toBe(false);
    expect(cert.issuedto).toMatchObject({ cname: 'pypmp.example', org: 'Bulwark Test' });
    expect(cert.endpoint).toMatchObject({ keyalg: 'RSA', PublicKeyLength: 2048, PrivateKey: true });
  });

  it('get_certificate_keystore returns a PKCS#12 file openssl opens with the passphrase', async () => {
    const file = await pkiRequest(
      'get',
      'getCertificateKeyStore',
      detailsOf({ common_name: 'pypmp.example' }),
    );
    const written = path.join(o.dir, 'pypmp.p12');
    writeFileSync(written, file.body);
    const opened = spawnSync(
      'openssl',
      ['pkcs12', '-in', written, '-passin', `pass:${passphrase}`, '-nokeys', '-clcerts'],
      { encoding: 'utf8' },
    );
    expect(opened.status, opened.stderr).toBe(0);
    expect(opened.stdout).toMatch(/subject=.*CN\s*=\s*pypmp\.example/);
  });

  it('a DELETE with INPUT_DATA form-encoded in the body (pypmp _delete) deletes the certificate', async () => {
    const res = await json('delete', 'deleteCertificate', detailsOf({ common_name: 'pypmp.example' }));
    expect(res.result.status, JSON.stringify(res)).toBe('Success');
    expect((await json('get', 'getAllSSLCertificates')).SSLCertificates ?? []).toEqual([]);
  });
});
