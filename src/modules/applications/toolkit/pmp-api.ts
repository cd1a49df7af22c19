/**
 * The PMP_API toolkit library (issue 6, ADR 015): what `PMP_API.sh` and `PMP_API.bat` run on an
 * application's host. `bulwark a2a toolkit` copies the compiled file into the toolkit as
 * `lib/pmp_api.mjs`.
 *
 * Invariant: this file imports nothing but Node.js built-ins (`node:*`) and nothing from the rest
 * of Bulwark, so the copy runs on a host that has only Node.js (18 or later). ESLint enforces it.
 *
 * Output contract (the PMP A2A document, issue 6), for scripts that parse it:
 * - RETRIEVE prints the password alone and a newline; exit 0.
 * - RESET_LOCAL and RESET_REMOTE print `Password changed successfully` (exit 0) or
 *   `Password reset failed` (exit 1) on stdout; the vault keeps the old password on failure.
 * - CREATE prints `Resource and account created successfully` or
 *   `Account created successfully` when the resource existed; exit 0.
 * - Every failure prints one line saying why on stderr. Exit 1: the vault refused or the
 *   operation failed; 2: wrong usage or configuration; 3: the server could not be reached.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const V1 = '/restapi/json/v1';
const USAGE =
  'usage: PMP_API RETRIEVE <resource> <account> | RESET_LOCAL <resource> <account> <new password> | ' +
  'RESET_REMOTE <resource> <account> <new password> | CREATE <resource> <account> [<password>] ' +
  '(a password of "-" is read from standard input)';
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 3;

/** A failure that ends the command: the one line for stderr and the exit status. */
class ToolkitFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Settings {
  readonly applicationName: string;
  readonly serverUrl: URL;
  readonly cert: string;
  readonly key: string;
  readonly verifyServer: boolean;
  readonly ca: string | undefined;
  readonly resourceType: string;
  readonly reason: string;
  readonly timeoutMs: number;
}

interface Envelope {
  readonly ok: boolean;
  readonly message: string;
  readonly statusCode: number | undefined;
  /** Details when it is an object (most answers); {} otherwise. */
  readonly details: Record<string, unknown>;
  readonly rawDetails: unknown;
}

/** `Key=Value` lines; `#` and `;` start comments; keys are case-insensitive; values are not unquoted. */
function parseConf(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    values.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return values;
}

function readFileOrFail(file: string, what: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ToolkitFailure(
      `cannot read the ${what} ${file} (${code}); check ${setting} in PMP_API.conf`,
      EXIT_USAGE,
    );
  }
}

function loadSettings(confFile: string): Settings {
  let text: string;
  try {
    text = readFileSync(confFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ToolkitFailure(`cannot read the configuration file ${confFile} (${code})`, EXIT_USAGE);
  }
  const conf = parseConf(text);
  const confDir = path.dirname(confFile);
  const setting = (key: string, fallback?: string): string => {
    const value = conf.get(key.toLowerCase()) ?? fallback;
    if (value === undefined || value === '') {
      throw new ToolkitFailure(`${key} is not set in ${confFile}`, EXIT_USAGE);
    }
    return value;
  };
  // Absolute paths are what the operator is asked for; relative ones are taken from the conf's directory.
  const file = (key: string): string => path.resolve(confDir, setting(key));

  let serverUrl: URL;
  try {
    serverUrl = new URL(setting('ServerURL'));
  } catch {
    throw new ToolkitFailure(`ServerURL in ${confFile} is not a URL`, EXIT_USAGE);
  }
  if (serverUrl.protocol !== 'https:') {
    throw new ToolkitFailure(`ServerURL in ${confFile} must start with https://`, EXIT_USAGE);
  }
  const verify = setting('VerifyServerCertificate', 'true').toLowerCase();
  if (!['true', 'false', 'yes', 'no'].includes(verify)) {
    throw new ToolkitFailure(`VerifyServerCertificate in ${confFile} must be true or false`, EXIT_USAGE);
  }
  const verifyServer = verify === 'true' || verify === 'yes';
  const caPath = conf.get('servercapath') ?? '';
  const timeout = Number(setting('TimeoutSeconds', '30'));
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new ToolkitFailure(`TimeoutSeconds in ${confFile} must be a positive number`, EXIT_USAGE);
  }
  const applicationName = setting('ApplicationName', 'PMP_API');
  const certFile = file('ClientCertPath');
  const keyFile = file('ClientKeyPath');
  const cert = readFileOrFail(certFile, 'client certificate', 'ClientCertPath');
  const key = readFileOrFail(keyFile, 'client private key', 'ClientKeyPath');
  checkClientIdentity(cert, certFile, key, keyFile);
  return {
    applicationName,
    serverUrl,
    cert,
    key,
    verifyServer,
    ca:
      verifyServer && caPath !== ''
        ? readFileOrFail(path.resolve(confDir, caPath), 'server CA certificate', 'ServerCAPath')
        : undefined,
    resourceType: setting('ResourceType', 'Linux'),
    reason: conf.get('reason') || `Application-to-application access by ${applicationName}`,
    timeoutMs: timeout * 1000,
  };
}

/** The certificate and key must be PEM and belong together, or TLS fails with an obscure error. */
function checkClientIdentity(cert: string, certFile: string, key: string, keyFile: string): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new ToolkitFailure(`${certFile} is not a PEM certificate; check ClientCertPath`, EXIT_USAGE);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ToolkitFailure(
      `${keyFile} is not an unencrypted PEM private key; check ClientKeyPath`,
      EXIT_USAGE,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ToolkitFailure(
      `the key ${keyFile} does not belong to the certificate ${certFile}; check ClientKeyPath`,
      EXIT_USAGE,
    );
  }
}

/** Why a connection failed, in words an operator can act on; never the request content. */
function connectionFailure(err: NodeJS.ErrnoException, settings: Settings): ToolkitFailure {
  const where = settings.serverUrl.host;
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED')
    return new ToolkitFailure(`cannot connect to ${where}: connection refused`, EXIT_UNREACHABLE);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ToolkitFailure(`cannot connect to ${where}: the host name does not resolve`, EXIT_UNREACHABLE);
  }
  if (code === 'ETIMEDOUT' || code === 'PMP_API_TIMEOUT') {
    return new ToolkitFailure(
      `no answer from ${where} within ${settings.timeoutMs / 1000} seconds`,
      EXIT_UNREACHABLE,
    );
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/.test(code)) {
    return new ToolkitFailure(
      `the server certificate of ${where} could not be verified (${code}); set ServerCAPath to the certificate that signs it, or VerifyServerCertificate=false`,
      EXIT_UNREACHABLE,
    );
  }
  return new ToolkitFailure(`cannot talk to ${where}: ${code || err.message}`, EXIT_UNREACHABLE);
}

function call(
  settings: Settings,
  method: 'GET' | 'POST' | 'PUT',
  apiPath: string,
  details?: Record<string, unknown>,
): Promise<Envelope> {
  const inputData = details === undefined ? undefined : JSON.stringify({ operation: { Details: details } });
  // GET carries INPUT_DATA in the query string, the others in a form body (both PMP shapes).
  let requestPath = apiPath;
  let body: string | undefined;
  if (inputData !== undefined) {
    if (method === 'GET') {
      requestPath += `${apiPath.includes('?') ? '&' : '?'}INPUT_DATA=${encodeURIComponent(inputData)}`;
    } else body = `INPUT_DATA=${encodeURIComponent(inputData)}`;
  }
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: settings.serverUrl.hostname.replace(/^\[|\]$/g, ''),
        port: settings.serverUrl.port || 443,
        method,
        path: settings.serverUrl.pathname.replace(/\/+$/, '') + requestPath,
        headers: {
          accept: 'application/json',
          ...(body !== undefined
            ? {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': String(Buffer.byteLength(body)),
              }
            : {}),
        },
        cert: settings.cert,
        key: settings.key,
        ca: settings.ca,
        rejectUnauthorized: settings.verifyServer,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            request.destroy(Object.assign(new Error('response too large'), { code: 'PMP_API_TOO_LARGE' }));
          } else chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => {
          try {
            resolve(readEnvelope(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    request.setTimeout(settings.timeoutMs, () =>
      request.destroy(Object.assign(new Error('timeout'), { code: 'PMP_API_TIMEOUT' })),
    );
    request.on('error', (err: NodeJS.ErrnoException) =>
      reject(err instanceof ToolkitFailure ? err : connectionFailure(err, settings)),
    );
    request.end(body);
  });
}

function readEnvelope(httpStatus: number, text: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ToolkitFailure(
      `the server answered HTTP ${httpStatus} with something other than JSON`,
      EXIT_UNREACHABLE,
    );
  }
  const operation = (parsed as { operation?: Record<string, unknown> } | null)?.operation;
  const result = operation?.result as
    { status?: unknown; message?: unknown; statusCode?: unknown } | undefined;
  if (!operation || !result || typeof result.status !== 'string') {
    throw new ToolkitFailure(`the server answered HTTP ${httpStatus} without a PMP result`, EXIT_UNREACHABLE);
  }
  const details = operation.Details;
  return {
    ok: result.status.toLowerCase() === 'success',
    message: typeof result.message === 'string' ? result.message : result.status,
    statusCode: typeof result.statusCode === 'number' ? result.statusCode : undefined,
    details:
      details && typeof details === 'object' && !Array.isArray(details)
        ? (details as Record<string, unknown>)
        : {},
    rawDetails: details,
  };
}

function succeeded(envelope: Envelope): Envelope {
  if (!envelope.ok) throw new ToolkitFailure(envelope.message, EXIT_REFUSED);
  return envelope;
}

function idField(envelope: Envelope, field: string): string {
  const value = envelope.details[field];
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new ToolkitFailure(`the server's answer has no ${field}`, EXIT_UNREACHABLE);
  }
  return String(value);
}

/** Details.PASSWORD of a retrieval or a generation. */
function passwordIn(envelope: Envelope): string {
  const password = envelope.details.PASSWORD;
  if (typeof password !== 'string') {
    throw new ToolkitFailure("the server's answer holds no password", EXIT_UNREACHABLE);
  }
  return password;
}

const segment = encodeURIComponent;

async function accountIds(settings: Settings, resource: string, account: string) {
  const found = succeeded(
    await call(
      settings,
      'GET',
      `${V1}/resources/getResourceIdAccountId?RESOURCENAME=${segment(resource)}&ACCOUNTNAME=${segment(account)}`,
    ),
  );
  return { resourceId: idField(found, 'RESOURCEID'), accountId: idField(found, 'ACCOUNTID') };
}

async function retrieve(settings: Settings, resource: string, account: string): Promise<string> {
  const { resourceId, accountId } = await accountIds(settings, resource, account);
  const answer = succeeded(
    await call(settings, 'GET', `${V1}/resources/${resourceId}/accounts/${accountId}/password`, {
      REASON: settings.reason,
    }),
  );
  return passwordIn(answer);
}

async function reset(
  settings: Settings,
  resetType: 'LOCAL' | 'REMOTE',
  resource: string,
  account: string,
  newPassword: string,
): Promise<void> {
  const { resourceId, accountId } = await accountIds(settings, resource, account);
  succeeded(
    await call(settings, 'PUT', `${V1}/resources/${resourceId}/accounts/${accountId}/password`, {
      NEWPASSWORD: newPassword,
      RESETTYPE: resetType,
      REASON: settings.reason,
    }),
  );
}

const NOT_FOUND = 40400;

/**
 * CREATE: a new resource with the account, or the account added to the resource when it exists
 * (and the application may see it). Without a password, one is generated by the vault for the
 * policy that will govern the account, so it conforms.
 */
async function create(
  settings: Settings,
  resource: string,
  account: string,
  password: string | undefined,
): Promise<string> {
  const existing = await call(settings, 'GET', `${V1}/resources/resourcename/${segment(resource)}`);
  if (!existing.ok && existing.statusCode !== NOT_FOUND) succeeded(existing);
  const generate = async (policy: string | undefined) => {
    const answer = succeeded(
      await call(settings, 'GET', `${V1}/passwords/generate`, policy ? { POLICY: policy } : undefined),
    );
    return passwordIn(answer);
  };
  if (!existing.ok) {
    succeeded(
      await call(settings, 'POST', `${V1}/resources`, {
        RESOURCENAME: resource,
        RESOURCETYPE: settings.resourceType,
        ACCOUNTNAME: account,
        PASSWORD: password ?? (await generate(undefined)),
      }),
    );
    return 'Resource and account created successfully';
  }
  const resourceId = idField(existing, 'RESOURCEID');
  let policy: string | undefined;
  if (password === undefined) {
    const details = succeeded(await call(settings, 'GET', `${V1}/resources/${resourceId}/accounts`)).details;
    policy = typeof details['PASSWORD POLICY'] === 'string' ? details['PASSWORD POLICY'] : undefined;
  }
  const added = await call(settings, 'POST', `${V1}/resources/${resourceId}/accounts`, {
    ACCOUNTLIST: [{ ACCOUNTNAME: account, PASSWORD: password ?? (await generate(policy)) }],
  });
  if (!added.ok) {
    // The per-account reason says more than the summary ("already exists", a policy rule).
    const perAccount = Array.isArray(added.rawDetails)
      ? (added.rawDetails[0] as Record<string, { STATUS?: unknown } | undefined> | undefined)
      : undefined;
    const status = perAccount?.[account]?.STATUS;
    throw new ToolkitFailure(typeof status === 'string' ? status : added.message, EXIT_REFUSED);
  }
  return 'Account created successfully';
}

function readPasswordArgument(value: string | undefined): string | undefined {
  if (value !== '-') return value;
  // "-": the first line of standard input, so the password never shows in a process listing.
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch {
    throw new ToolkitFailure('cannot read the password from standard input', EXIT_USAGE);
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new ToolkitFailure('standard input holds no password', EXIT_USAGE);
  return line;
}

async function run(argv: readonly string[], confFile: string): Promise<number> {
  const [command = '', resource, account, ...rest] = argv;
  const op = command.toUpperCase();
  // A Map: the command is the caller's text, never looked up in a plain object.
  const arity = new Map<string, [number, number]>([
    ['RETRIEVE', [2, 2]],
    ['RESET_LOCAL', [3, 3]],
    ['RESET_REMOTE', [3, 3]],
    ['CREATE', [2, 3]],
  ]);
  const bounds = arity.get(op);
  const count = argv.length - 1;
  if (!bounds || count < bounds[0] || count > bounds[1] || !resource || !account) {
    throw new ToolkitFailure(USAGE, EXIT_USAGE);
  }
  const password = readPasswordArgument(rest[0]);
  if ((op === 'RESET_LOCAL' || op === 'RESET_REMOTE') && !password) {
    throw new ToolkitFailure('the new password is empty', EXIT_USAGE);
  }
  const settings = loadSettings(confFile);
  switch (op) {
    case 'RETRIEVE':
      process.stdout.write(`${await retrieve(settings, resource, account)}\n`);
      return 0;
    case 'RESET_LOCAL':
    case 'RESET_REMOTE':
      try {
        await reset(settings, op === 'RESET_LOCAL' ? 'LOCAL' : 'REMOTE', resource, account, password!);
      } catch (err) {
        // The reference's message on stdout, and why on stderr.
        process.stdout.write('Password reset failed\n');
        throw err;
      }
      process.stdout.write('Password changed successfully\n');
      return 0;
    default:
      process.stdout.write(`${await create(settings, resource, account, password || undefined)}\n`);
      return 0;
  }
}

const libraryDir = path.dirname(fileURLToPath(import.meta.url));
const confFile = process.env.PMP_API_CONF || path.join(libraryDir, '..', 'PMP_API.conf');
try {
  process.exitCode = await run(process.argv.slice(2), confFile);
} catch (err) {
  const failure =
    err instanceof ToolkitFailure
      ? err
      : new ToolkitFailure(`unexpected error: ${(err as Error)?.message ?? String(err)}`, EXIT_UNREACHABLE);
  process.stderr.write(`PMP_API: ${failure.message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = failure.exitCode;
}
