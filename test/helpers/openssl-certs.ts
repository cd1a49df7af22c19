import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Certificates made by the real `openssl` for tests (issue 14): keys, self-signed and CA-signed
 * certificates with any dates (through `openssl ca`, which alone takes a start and end date),
 * and what `openssl x509` prints about them, to compare the parser with.
 */
export interface OpensslCerts {
  readonly dir: string;
  /** A private key (PEM file path): `rsa:2048`, `rsa:1024`, `ec:P-256`, `ec:P-384`, `ed25519`. */
  key(name: string, kind: string, passphrase?: string): string;
  /** Signs a certificate for `key`, by `issuer` (its cert and key paths) or self-signed. */
  cert(name: string, options: CertOptions): string;
  /** `openssl x509 <args> -in <cert>` output. */
  x509(cert: string, ...args: string[]): string;
  file(p: string): Buffer;
  cleanup(): void;
}

export interface CertOptions {
  readonly key: string;
  readonly subject: string;
  readonly issuer?: { cert: string; key: string };
  readonly digest?: 'sha256' | 'sha1' | 'sha384';
  /** openssl ca dates (YYYYMMDDHHMMSSZ); default now-1h .. now+days. */
  readonly start?: string;
  readonly end?: string;
  readonly days?: number;
  readonly ca?: boolean;
  readonly san?: string;
}

const CA_CONFIG = `[ca]
default_ca=d
[d]
database=./index.txt
new_certs_dir=.
serial=./serial
policy=p
copy_extensions=copy
unique_subject=no
preserve=yes
email_in_dn=yes
[p]
countryName=optional
stateOrProvinceName=optional
localityName=optional
organizationName=optional
organizationalUnitName=optional
commonName=optional
emailAddress=optional
[ext_ca]
basicConstraints=critical,CA:TRUE
subjectKeyIdentifier=hash
keyUsage=critical,keyCertSign,cRLSign,digitalSignature
[ext_leaf]
basicConstraints=CA:FALSE
subjectKeyIdentifier=hash
`;

const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

export function opensslCerts(): OpensslCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-certs-'));
  writeFileSync(path.join(dir, 'ca.cnf'), CA_CONFIG);
  writeFileSync(path.join(dir, 'index.txt'), '');
  writeFileSync(path.join(dir, 'serial'), '1000\n');
  // Encrypted keys by path: the passphrase is passed to openssl wherever the key is read.
  const passphrases = new Map<string, string>();
  const passin = (key: string) => {
    const pass = passphrases.get(key);
    return pass === undefined ? [] : ['-passin', `pass:${pass}`];
  };
  const run = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
  return {
    dir,
    key(name, kind, passphrase) {
      const file = path.join(dir, `${name}.key`);
      const [alg, param] = kind.split(':');
      const opts =
        alg === 'rsa'
          ? ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${param}`]
          : alg === 'ec'
            ? ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${param}`]
            : ['-algorithm', 'ED25519'];
      const enc = passphrase === undefined ? [] : ['-aes-256-cbc', '-pass', `pass:${passphrase}`];
      run(['genpkey', ...opts, ...enc, '-out', file]);
      if (passphrase !== undefined) passphrases.set(file, passphrase);
      return file;
    },
    cert(name, o) {
      const csr = path.join(dir, `${name}.csr`);
      const out = path.join(dir, `${name}.pem`);
      const now = Date.now();
      run([
        'req',
        '-new',
        '-key',
        o.key,
        ...passin(o.key),
        '-subj',
        o.subject,
        '-out',
        csr,
        ...(o.san ? ['-addext', `subjectAltName=${o.san}`] : []),
      ]);
      const issuer = o.issuer
        ? ['-cert', o.issuer.cert, '-keyfile', o.issuer.key]
        : ['-selfsign', '-keyfile', o.key];
      const md = ['-md', o.digest ?? 'sha256'];
      run([
        'ca',
        '-batch',
        '-notext',
        '-config',
        'ca.cnf',
        ...issuer,
        ...passin(o.issuer?.key ?? o.key),
        ...md,
        '-in',
        csr,
        '-out',
        out,
        '-extensions',
        o.ca ? 'ext_ca' : 'ext_leaf',
        '-startdate',
        o.start ?? stamp(new Date(now - 3_600_000)),
        '-enddate',
        o.end ?? stamp(new Date(now + (o.days ?? 30) * 86_400_000)),
      ]);
      return out;
    },
    x509: (cert, ...args) => run(['x509', ...args, '-in', cert]),
    file: (p) => readFileSync(p),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
