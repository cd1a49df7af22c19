import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecureContext, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';

/**
 * Real TLS (and not-TLS) listeners on 127.0.0.x for certificate discovery tests, with
 * certificates made by the real `openssl` (its `ca` command sets past and future validity).
 * Loopback only; everything started here is closed by `close()`.
 */

export interface IssuedCert {
  readonly name: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** DER as `openssl x509 -outform DER` writes it. */
  readonly der: Buffer;
}

export interface IssueOptions {
  readonly name: string;
  readonly cn: string;
  readonly key?: 'rsa2048' | 'rsa1024' | 'ec256';
  /** Name of an earlier issued CA; self-signed when absent. */
  readonly issuer?: string;
  readonly ca?: boolean;
  readonly dns?: readonly string[];
  /** OpenSSL times, e.g. `20200101000000Z`. */
  readonly start?: string;
  readonly end?: string;
  readonly md?: 'sha256' | 'sha1';
}

function openssl(args: string[], cwd: string) {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

function stamp(date: Date) {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export function certificateFactory() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-tls-'));
  mkdirSync(path.join(dir, 'newcerts'));
  writeFileSync(path.join(dir, 'index.txt'), '');
  writeFileSync(path.join(dir, 'serial'), '1000\n');
  const issued = new Map<string, IssuedCert>();

  function issue(options: IssueOptions): IssuedCert {
    const keyFile = path.join(dir, `${options.name}.key`);
    const certFile = path.join(dir, `${options.name}.pem`);
    const csrFile = path.join(dir, `${options.name}.csr`);
    const cfgFile = path.join(dir, `${options.name}.cnf`);
    const key = options.key ?? 'rsa2048';
    if (key === 'ec256') {
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile], dir);
    } else {
      const bits = key === 'rsa1024' ? '1024' : '2048';
      openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', keyFile], dir);
    }
    const ext = options.ca
      ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
      : `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n${
          options.dns && options.dns.length > 0
            ? `subjectAltName=${options.dns.map((d) => `DNS:${d}`).join(',')}\n`
            : ''
        }`;
    writeFileSync(
      cfgFile,
      [
        '[ca]',
        'default_ca = d',
        '[d]',
        `database = ${path.join(dir, 'index.txt')}`,
        `new_certs_dir = ${path.join(dir, 'newcerts')}`,
        `serial = ${path.join(dir, 'serial')}`,
        'policy = p',
        'default_md = sha256',
        'unique_subject = no',
        '[p]',
        'commonName = supplied',
        '[ext]',
        ext,
      ].join('\n'),
    );
    openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${options.cn}`, '-out', csrFile], dir);
    const now = Date.now();
    const start = options.start ?? stamp(new Date(now - 86_400_000));
    const end = options.end ?? stamp(new Date(now + 365 * 86_400_000));
    const signer = options.issuer ? issued.get(options.issuer) : undefined;
    if (options.issuer && !signer) throw new Error(`unknown issuer ${options.issuer}`);
    openssl(
      [
        'ca',
        '-batch',
        '-notext',
        '-config',
        cfgFile,
        '-extensions',
        'ext',
        '-startdate',
        start,
        '-enddate',
        end,
        '-md',
        options.md ?? 'sha256',
        ...(signer
          ? ['-cert', signer.certFile, '-keyfile', signer.keyFile]
          : ['-selfsign', '-keyfile', keyFile]),
        '-in',
        csrFile,
        '-out',
        certFile,
      ],
      dir,
    );
    const der = openssl(['x509', '-in', certFile, '-outform', 'DER'], dir);
    const cert: IssuedCert = {
      name: options.name,
      certFile,
      keyFile,
      certPem: readFileSync(certFile, 'utf8'),
      keyPem: readFileSync(keyFile, 'utf8'),
      der,
    };
    issued.set(options.name, cert);
    return cert;
  }

  /** `openssl x509 -text -noout` of a served DER, to compare with what the probe read. */
  function text(der: Buffer): string {
    return execFileSync('openssl', ['x509', '-inform', 'DER', '-text', '-noout'], { input: der }).toString();
  }

  return { dir, issue, text, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function trackSockets(server: NetServer | TlsServer) {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

async function listen(server: NetServer | TlsServer, host: string, port = 0): Promise<Listener> {
  const close = trackSockets(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { host, port: typeof address === 'object' && address ? address.port : 0, close };
}

/** A node:tls server serving `chain` (leaf first) with the leaf's key; `sni` picks by name. */
export function tlsListener(
  host: string,
  leaf: IssuedCert,
  extraChain: readonly IssuedCert[] = [],
  sni: Record<string, IssuedCert> = {},
  port = 0,
): Promise<Listener> {
  const context = (cert: IssuedCert, chain: readonly IssuedCert[]) => ({
    cert: [cert.certPem, ...chain.map((c) => c.certPem)].join(''),
    key: cert.keyPem,
  });
  const server = createTlsServer({
    ...context(leaf, extraChain),
    SNICallback: (servername, callback) => {
      const chosen = sni[servername];
      callback(null, chosen ? createSecureContext(context(chosen, [])) : undefined);
    },
  });
  server.on('tlsClientError', () => undefined);
  return listen(server, host, port);
}

/** Accepts connections and never answers: a firewalled-but-open or hung service. */
export function blackholeListener(host: string, port = 0): Promise<Listener> {
  return listen(
    createNetServer(() => undefined),
    host,
    port,
  );
}

/**
 * Two silent ports (blackhole listeners, the same two numbers) on each of `${prefix}1`…
 * `${prefix}${hosts}`: a range whose every probe waits for its timeout, for jobs that must still
 * be running when a test acts on them. Retried when another process took one of the ports.
 */
export async function silentRange(
  prefix: string,
  hosts: number,
): Promise<{ listeners: Listener[]; ports: string }> {
  for (let attempt = 0; ; attempt++) {
    const opened: Listener[] = [];
    try {
      const first = await blackholeListener(`${prefix}1`);
      const second = await blackholeListener(`${prefix}1`);
      opened.push(first, second);
      for (let i = 2; i <= hosts; i++) {
        opened.push(await blackholeListener(`${prefix}${i}`, first.port));
        opened.push(await blackholeListener(`${prefix}${i}`, second.port));
      }
      return { listeners: opened, ports: `${first.port},${second.port}` };
    } catch (err) {
      await Promise.all(opened.map((l) => l.close()));
      if (attempt >= 5) throw err;
    }
  }
}

/** A plain TCP echo: answers a ClientHello with the same ClientHello. */
export function echoListener(host: string, port = 0): Promise<Listener> {
  return listen(
    createNetServer((socket) => socket.pipe(socket)),
    host,
    port,
  );
}

/** A port nobody listens on (bound, then released). */
export async function closedPort(host: string): Promise<Listener> {
  const listener = await listen(createNetServer(), host);
  await listener.close();
  return { host, port: listener.port, close: async () => undefined };
}

/** `openssl s_server` at SECLEVEL 0 (serves 1024-bit and SHA-1 certificates), ready when it says ACCEPT. */
export async function opensslListener(
  host: string,
  leaf: IssuedCert,
  extraChain: readonly IssuedCert[] = [],
): Promise<Listener> {
  const free = await listen(createNetServer(), host);
  await free.close();
  const args = ['s_server', '-accept', `${host}:${free.port}`, '-cert', leaf.certFile, '-key', leaf.keyFile];
  args.push('-cipher', 'DEFAULT:@SECLEVEL=0', '-www');
  if (extraChain.length > 0) {
    const chainFile = `${leaf.certFile}.chain.pem`;
    writeFileSync(chainFile, extraChain.map((c) => c.certPem).join(''));
    args.push('-cert_chain', chainFile);
  }
  const child: ChildProcess = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${out}`)), 10_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl s_server exited ${code}: ${out}`));
    });
  });
  return {
    host,
    port: free.port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
