import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileExists, writeFileDurably } from '../../platform/fs.js';
import { InvalidInputError, OperationNotAvailableError } from '../../platform/errors.js';
import { zipArchive, type ZipEntry } from '../../platform/zip.js';
import type { Application } from './applications.types.js';

/**
 * `bulwark a2a toolkit` (issue 6, ADR 015): writes the PMP_API toolkit of an application — the
 * two launcher scripts, PMP_API.conf, the library they run and, when the server's certificate
 * is self-signed, that certificate to verify the server with.
 */

/** The compiled toolkit library, beside this file in dist/ (it imports only node:* built-ins). */
const LIBRARY = new URL('./toolkit/pmp-api.js', import.meta.url);

export interface ToolkitRequest {
  readonly application: Application;
  /** https://HOST:PORT as the application's host reaches the server. */
  readonly serverUrl: string;
  /** The server's TLS certificate (PEM), to decide how the toolkit verifies the server. */
  readonly serverCertificatePem: string | undefined;
  readonly now: Date;
}

export interface Toolkit {
  /** Paths relative to the toolkit directory. */
  readonly files: readonly ZipEntry[];
  /** Things the operator should fix, e.g. a server URL the server's certificate does not name. */
  readonly warnings: readonly string[];
}

export interface WrittenToolkit {
  readonly files: readonly string[];
  /** PMP_API.conf existed and was left as the operator edited it. */
  readonly keptConf: boolean;
  readonly warnings: readonly string[];
}

export const TOOLKIT_CONF = 'PMP_API.conf';

/** The file name base `create-cert` uses for APP.key and APP.crt, so the default conf finds them. */
export function certificateFileBase(applicationName: string): string {
  return applicationName.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new InvalidInputError(`the server URL ${raw} is not a URL; give https://HOST:PORT`);
  }
  if (url.protocol !== 'https:') throw new InvalidInputError('the server URL must be an https:// URL');
  if (url.username || url.password || url.search || url.hash) {
    throw new InvalidInputError(
      'the server URL is https://HOST:PORT only (no credentials, query or fragment)',
    );
  }
  return url;
}

/**
 * The toolkit's files. `directory`: the absolute directory they will be written to, so the conf
 * names absolute paths; undefined for a download, whose conf names files beside it (the library
 * resolves relative paths against the conf's directory).
 */
export async function buildToolkit(request: ToolkitRequest, directory: string | undefined): Promise<Toolkit> {
  const server = parseServerUrl(request.serverUrl);
  const serverUrl = `${server.origin}${server.pathname.replace(/\/+$/, '')}`;
  const app = request.application;
  const warnings: string[] = [];
  let library: string;
  try {
    library = await readFile(LIBRARY, 'utf8');
  } catch {
    // An installation fault, not bad input: said plainly, nothing written.
    throw new OperationNotAvailableError(
      'the toolkit library is missing from this installation (dist/modules/applications/toolkit/pmp-api.js); run npm run build',
    );
  }
  const label = plain(app.name);
  library =
    `// PMP_API toolkit library of application ${label}, written by Bulwark on ${request.now.toISOString()}.\n` +
    `// Self-contained: it needs Node.js 18 or later and nothing else.\n` +
    library.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  const trust = serverTrust(request.serverCertificatePem, server, warnings);
  const place = (name: string) => (directory === undefined ? name : path.join(directory, name));
  const base = certificateFileBase(app.name);
  const files: ZipEntry[] = [
    { name: 'lib/pmp_api.mjs', content: library, mode: 0o644 },
    { name: 'PMP_API.sh', content: shellLauncher(label, request.now), mode: 0o755 },
    { name: 'PMP_API.bat', content: batchLauncher(label).replace(/\n/g, '\r\n'), mode: 0o644 },
    ...(trust.pinned ? [{ name: 'server-ca.pem', content: trust.pinned, mode: 0o644 }] : []),
    {
      name: TOOLKIT_CONF,
      content: conf({
        applicationName: label,
        serverUrl,
        certPath: place(`${base}.crt`),
        keyPath: place(`${base}.key`),
        caPath: trust.pinned ? place('server-ca.pem') : '',
        resourceType: app.resourceType,
        now: request.now,
      }),
      mode: 0o644,
    },
  ];
  return { files, warnings };
}

/** `bulwark a2a toolkit`: writes the toolkit into `outDir`, keeping a PMP_API.conf already there. */
export async function writeToolkit(request: ToolkitRequest, outDir: string): Promise<WrittenToolkit> {
  const directory = path.resolve(outDir);
  const toolkit = await buildToolkit(request, directory);
  const keptConf = await fileExists(path.join(directory, TOOLKIT_CONF));
  await mkdir(path.join(directory, 'lib'), { recursive: true, mode: 0o755 });
  const written: string[] = [];
  for (const file of toolkit.files) {
    if (keptConf && file.name === TOOLKIT_CONF) continue;
    const target = path.join(directory, file.name);
    await writeFileDurably(target, file.content, file.mode);
    written.push(target);
  }
  return { files: written, keptConf, warnings: toolkit.warnings };
}

/** The toolkit as a zip with one top-level directory, for download. */
export async function toolkitArchive(
  request: ToolkitRequest,
): Promise<{ fileName: string; content: Buffer }> {
  const toolkit = await buildToolkit(request, undefined);
  const folder = `${certificateFileBase(request.application.name)}-PMP_API`;
  return {
    fileName: `${folder}.zip`,
    content: zipArchive(
      toolkit.files.map((f) => ({ ...f, name: `${folder}/${f.name}` })),
      request.now,
    ),
  };
}

/**
 * How the toolkit verifies the server: a self-signed certificate is pinned (written beside the
 * conf as the only trusted CA); one issued by a CA is verified against the host's CA store.
 */
function serverTrust(
  pem: string | undefined,
  server: URL,
  warnings: string[],
): { pinned: string | undefined } {
  if (pem === undefined) {
    warnings.push(
      "the server's certificate could not be read; the toolkit trusts the host's CA store (set ServerCAPath)",
    );
    return { pinned: undefined };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    warnings.push("the server's certificate is not readable PEM; set ServerCAPath in PMP_API.conf");
    return { pinned: undefined };
  }
  const host = server.hostname.replace(/^\[|\]$/g, '');
  const named = isIP(host) ? cert.checkIP(host) : cert.checkHost(host);
  if (named === undefined) {
    warnings.push(
      `the server's certificate does not name ${host}, so the toolkit will refuse it: use a server certificate for ${host} (BULWARK_TLS_CERT_FILE) or a --server URL it names`,
    );
  }
  // Not checkIssued: OpenSSL also wants keyCertSign there, which a server certificate lacks.
  const selfSigned = cert.issuer === cert.subject && cert.verify(cert.publicKey);
  return { pinned: selfSigned ? cert.toString() : undefined };
}

/** Text safe in comments and `Key=Value` lines of every generated file: no controls, no % or quotes. */
function plain(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f"%^&|<>]/g, '_');
}

function shellLauncher(label: string, now: Date): string {
  return `#!/bin/sh
# PMP_API.sh: the PMP_API toolkit of application ${label} (Bulwark, ${now.toISOString().slice(0, 10)}).
#   PMP_API.sh RETRIEVE <resource> <account>
#   PMP_API.sh RESET_LOCAL <resource> <account> <new password>
#   PMP_API.sh RESET_REMOTE <resource> <account> <new password>
#   PMP_API.sh CREATE <resource> <account> [<password>]
# A password of "-" is read from standard input (it then never shows in a process listing).
# Settings: PMP_API.conf beside this script, or the file named by PMP_API_CONF.
# Needs Node.js 18 or later: "node" on the PATH, or its path in PMP_API_NODE.
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P) || exit 2
node=\${PMP_API_NODE:-node}
if ! command -v "$node" >/dev/null 2>&1; then
  echo "PMP_API: Node.js ($node) was not found; install Node.js 18 or later, or set PMP_API_NODE to its path" >&2
  exit 2
fi
exec "$node" "$dir/lib/pmp_api.mjs" "$@"
`;
}

function batchLauncher(label: string): string {
  // No < > | & in comments: cmd.exe may parse them even after REM.
  return `@echo off
rem PMP_API.bat: the PMP_API toolkit of application ${label} (Bulwark).
rem   PMP_API.bat RETRIEVE resource account
rem   PMP_API.bat RESET_LOCAL resource account newpassword
rem   PMP_API.bat RESET_REMOTE resource account newpassword
rem   PMP_API.bat CREATE resource account [password]
rem A password of - is read from standard input. Quote arguments holding spaces or
rem cmd.exe special characters; a password with a percent sign is safest given on stdin.
rem Settings: PMP_API.conf beside this script, or the file named by PMP_API_CONF.
rem Needs Node.js 18 or later: node on the PATH, or its path in PMP_API_NODE.
setlocal
set "PMP_API_NODE_EXE=node"
if defined PMP_API_NODE set "PMP_API_NODE_EXE=%PMP_API_NODE%"
"%PMP_API_NODE_EXE%" "%~dp0lib\\pmp_api.mjs" %*
exit /b %ERRORLEVEL%
`;
}

function conf(values: {
  applicationName: string;
  serverUrl: string;
  certPath: string;
  keyPath: string;
  caPath: string;
  resourceType: string;
  now: Date;
}): string {
  return `# PMP_API.conf: settings of the PMP_API toolkit of application ${values.applicationName}.
# Written by Bulwark on ${values.now.toISOString()}; "bulwark a2a toolkit" never overwrites it.
ApplicationName=${values.applicationName}

# The Bulwark server, as this host reaches it.
ServerURL=${values.serverUrl}

# Absolute paths of the application's client certificate and its private key (PEM, key not
# encrypted). The certificate must be imported for the application on the server:
#   bulwark a2a import-cert --name "${values.applicationName}" CERT.pem
# or made and imported in one step with: bulwark a2a create-cert --name "${values.applicationName}" --out DIR
ClientCertPath=${values.certPath}
ClientKeyPath=${values.keyPath}

# Verify the server's TLS certificate (true or false). ServerCAPath: a PEM file of the
# certificate(s) to trust (the server's own when it is self-signed); empty: the CAs this
# host trusts.
VerifyServerCertificate=true
ServerCAPath=${values.caPath}

# The resource type of the resources CREATE makes.
ResourceType=${values.resourceType}

# The reason recorded in the audit trail with each password retrieval and reset.
Reason=Application-to-application access by ${values.applicationName}

# How long to wait for the server, in seconds.
TimeoutSeconds=30
`;
}
