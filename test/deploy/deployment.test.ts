/**
 * deploy/systemd/bulwark.service and the Dockerfile, checked by running what they say.
 *
 * The unit: the test reads it (user, StateDirectory=, LoadCredential=, Environment=,
 * EnvironmentFile=, ExecStart=, UMask=, TimeoutStopSec=) and does what docs/deployment.md tells
 * the operator and what systemd would do: a throw-away system user, `bulwark init` as that user
 * with the master key staged outside the data directory and then moved to a root-owned 0600
 * file, the key handed over as a credential (%d), and ExecStart run as that user in a mount
 * namespace where / is read-only but for the data directory and /tmp, /var/tmp are private
 * (ProtectSystem=strict, PrivateTmp=). There is no systemd as PID 1 here, so this is an
 * emulation of the sandbox, not systemd itself. Needs root (useradd, mount namespaces): skipped
 * with the reason otherwise, a failure with BULWARK_REQUIRE_SERVICES=1.
 *
 * The Dockerfile: no Docker engine runs here, so the image is never built. What is checked is
 * what can be: its HEALTHCHECK command against the real server, and that its user, volume,
 * entrypoint and base images agree with each other and with the code.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { pmpClient, rawRequest } from '../helpers/client.js';
import { REPO_ROOT } from '../helpers/server.js';
import { missingService } from '../helpers/services.js';

const UNIT_FILE = path.join(REPO_ROOT, 'deploy', 'systemd', 'bulwark.service');
const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');

// ---------------------------------------------------------------------------------------------
// The unit file

type Unit = Map<string, string[]>;

/** `Section.Key` → every value, in order (systemd's syntax as this unit uses it). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = `${section}.${line.slice(0, eq).trim()}`;
    unit.set(key, [...(unit.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

function one(unit: Unit, key: string): string {
  const values = unit.get(key);
  if (values === undefined) throw new Error(`the unit sets no ${key}`);
  return values.at(-1)!;
}

const unit = parseUnit(readFileSync(UNIT_FILE, 'utf8'));
const serviceUser = one(unit, 'Service.User');
const dataDirOfUnit = `/var/lib/${one(unit, 'Service.StateDirectory')}`;
const [credentialName, credentialSource] = one(unit, 'Service.LoadCredential').split(':') as [string, string];
const execStart = one(unit, 'Service.ExecStart').split(/\s+/);
const environmentFile = one(unit, 'Service.EnvironmentFile');
const timeoutStopMs = Number(/^(\d+)s$/.exec(one(unit, 'Service.TimeoutStopSec'))?.[1]) * 1000;
const CODE_DIR = '/opt/bulwark';
const ETC_DIR = path.dirname(credentialSource);

/** Environment= assignments of the unit, with %d (the credentials directory) expanded. */
function unitEnvironment(credentialsDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of unit.get('Service.Environment') ?? []) {
    for (const assignment of value.split(/\s+/)) {
      const eq = assignment.indexOf('=');
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1).replaceAll('%d', credentialsDir);
    }
  }
  return env;
}

describe('deploy/systemd/bulwark.service', () => {
  it('is hardened as docs/deployment.md says, and its parts agree with each other', () => {
    expect(serviceUser).toBe('bulwark');
    expect(unit.has('Service.DynamicUser')).toBe(false);
    expect(one(unit, 'Service.ProtectSystem')).toBe('strict');
    expect(one(unit, 'Service.PrivateTmp')).toBe('yes');
    expect(one(unit, 'Service.NoNewPrivileges')).toBe('yes');
    expect(one(unit, 'Service.CapabilityBoundingSet')).toBe('');
    expect(one(unit, 'Service.RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    expect(one(unit, 'Service.SystemCallFilter')).toBe('@system-service');
    // V8's JIT needs pages that become executable: node aborts under MemoryDenyWriteExecute.
    expect(unit.has('Service.MemoryDenyWriteExecute')).toBe(false);
    // Nothing writable but the state directory.
    expect(unit.has('Service.ReadWritePaths')).toBe(false);
    expect(credentialSource).toBe('/etc/bulwark/master.key');
    expect(unitEnvironment('%d').BULWARK_MASTER_KEY_FILE).toBe(`%d/${credentialName}`);
    expect(environmentFile).toBe('-/etc/bulwark/bulwark.env');
    expect(execStart[0]).toBe('/usr/bin/node');
    // `serve`, not `start`: init is the operator's, once, before the first start.
    expect(execStart.slice(1)).toEqual([`${CODE_DIR}/dist/main.js`, 'serve', '--data-dir', dataDirOfUnit]);
    expect(one(unit, 'Service.KillSignal')).toBe('SIGTERM');
    expect(one(unit, 'Service.Restart')).toBe('on-failure');
    expect(timeoutStopMs).toBeGreaterThanOrEqual(30_000);
  });
});

// ---------------------------------------------------------------------------------------------
// The Dockerfile

interface Instruction {
  readonly op: string;
  readonly args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

const docker = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const lastStage = docker.slice(docker.map((i) => i.op).lastIndexOf('FROM'));
const dockerArg = (op: string) => lastStage.filter((i) => i.op === op).at(-1)?.args;
/** The HEALTHCHECK's exec-form command. */
const healthcheck = JSON.parse(
  /CMD\s+(\[.*\])$/.exec(dockerArg('HEALTHCHECK') ?? '')?.[1] ?? '[]',
) as string[];

describe('Dockerfile (static: no Docker engine runs here, the image is not built)', () => {
  it('runs `start` as a non-root user on the volume, health-checked on /healthz', () => {
    const froms = docker.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]!);
    // The native addon is built in the first stage for the second: same Node.js major, same Debian.
    expect(froms).toEqual(['node:24-bookworm', 'node:24-bookworm-slim']);
    const user = dockerArg('USER');
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    const volume = dockerArg('VOLUME');
    const entrypoint = JSON.parse(dockerArg('ENTRYPOINT')!) as string[];
    const cmd = JSON.parse(dockerArg('CMD')!) as string[];
    expect(entrypoint).toEqual(['node', `${CODE_DIR}/dist/main.js`]);
    expect(cmd).toEqual(['start', '--data-dir', volume]);
    expect(dockerArg('ENV')).toContain(`BULWARK_DATA_DIR=${volume}`);
    expect(dockerArg('ENV')).toContain('BULWARK_PORT=7272');
    expect(dockerArg('EXPOSE')).toBe('7272');
    expect(healthcheck.slice(0, 2)).toEqual(['node', '-e']);
    expect(healthcheck[2]).toContain("path:'/healthz'");
  });

  it('the runtime stage needs no dev dependency: every package dist/ imports is a dependency', () => {
    // `npm prune --omit=dev` keeps `dependencies` (and theirs). dist/console is browser code,
    // dist/tools the generators of `npm run docs` (run from src/ with tsx, never by the server).
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!['console', 'tools'].some((d) => file === path.join(REPO_ROOT, 'dist', d))) walk(file);
        } else if (entry.name.endsWith('.js')) {
          const text = readFileSync(file, 'utf8');
          const statements =
            /^(?:import|export)\b[^;]*?\bfrom\s*'([^'.][^']*)'|^import\s*'([^'.][^']*)'|\bimport\('([^'.][^']*)'\)/gm;
          for (const m of text.matchAll(statements)) {
            const spec = (m[1] ?? m[2] ?? m[3]!).replace(/^node:/, '');
            const parts = spec.split('/');
            imported.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
          }
        }
      }
    };
    walk(path.join(REPO_ROOT, 'dist'));
    expect(imported).toContain('better-sqlite3');
    expect(imported).toContain('fastify');
    expect([...imported].filter((name) => !allowed.has(name))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The real server, the way the unit runs it

/** Why the real run cannot happen here, or undefined. */
function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (useradd, mount namespaces), as CI runs';
  for (const [tool, args] of [
    ['useradd', ['--help']],
    ['unshare', ['--version']],
    ['setpriv', ['--version']],
    ['runuser', ['--version']],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch (err) {
      return `${tool} cannot be run (${(err as Error).message})`;
    }
  }
  return undefined;
}

/** useradd/userdel, retried while another test file holds the lock on /etc/passwd. */
function accountTool(command: string, args: readonly string[]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      return;
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
      if (attempt >= 50 || !/lock|try again/i.test(stderr)) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 + Math.random() * 150);
    }
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f));
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Service {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe.sequential('the unit, run for real as its own user under its sandbox', () => {
  const problem = whyNot();
  const name = `bwdeploy${randomBytes(3).toString('hex')}`;
  let base = '';
  let etcDir = ''; // /etc/bulwark
  let dataDir = ''; // /var/lib/bulwark
  let credentialsDir = ''; // %d, /run/credentials/bulwark.service
  let uid = -1;
  let masterKeyBytes: Buffer[] = [];
  let token = '';
  let service: Service | undefined;
  const password = `Dq7!${randomBytes(6).toString('hex')}-Zp9#`;
  const resourceName = `deploy-${randomBytes(3).toString('hex')}`;

  const need = (ctx: TestContext) => {
    if (problem === undefined) return;
    const failure = missingService('a root shell for the deployment test', problem);
    if (failure) throw failure;
    ctx.skip(problem);
  };

  beforeAll(() => {
    if (problem !== undefined) return;
    // Not under /tmp or /var/tmp: PrivateTmp hides those from the service.
    base = mkdtempSync('/var/lib/bulwark-deploy-test-');
    chmodSync(base, 0o755);
    etcDir = path.join(base, 'etc');
    dataDir = path.join(base, 'data');
    credentialsDir = path.join(base, 'credentials');
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    if (uid >= 0) {
      try {
        accountTool('userdel', [name]);
      } catch (err) {
        console.warn(`userdel ${name} failed: ${(err as Error).message}`);
      }
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  /** A path of the unit (/opt/bulwark, /var/lib/bulwark, /etc/bulwark) as this test lays it out. */
  const mapped = (p: string) =>
    p.startsWith(CODE_DIR)
      ? REPO_ROOT + p.slice(CODE_DIR.length)
      : p.startsWith(dataDirOfUnit)
        ? dataDir + p.slice(dataDirOfUnit.length)
        : p.startsWith(ETC_DIR)
          ? etcDir + p.slice(ETC_DIR.length)
          : p;

  // The unit's /usr/bin/node is the machine's; the test runs the Node.js the suite runs on, the one
  // better-sqlite3 was built for (CI runs the suite on Node.js 24 on a machine whose node is 20).
  const node = process.execPath;

  /** What systemd does at start: the credential copied for the service, the environment, ExecStart. */
  function startService(): Promise<Service> {
    rmSync(credentialsDir, { recursive: true, force: true });
    mkdirSync(credentialsDir, { mode: 0o500 });
    copyFileSync(mapped(credentialSource), path.join(credentialsDir, credentialName));
    chmodSync(path.join(credentialsDir, credentialName), 0o400);
    chownSync(path.join(credentialsDir, credentialName), uid, uid);
    chownSync(credentialsDir, uid, uid);
    const env: Record<string, string> = {
      PATH,
      HOME: dataDir,
      USER: name,
      LOGNAME: name,
      SHELL: '/usr/sbin/nologin',
      CREDENTIALS_DIRECTORY: credentialsDir,
      STATE_DIRECTORY: dataDir,
      ...unitEnvironment(credentialsDir),
    };
    const envFile = mapped(environmentFile.replace(/^-/, ''));
    if (existsSync(envFile)) {
      for (const line of readFileSync(envFile, 'utf8').split('\n')) {
        const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
        if (m) env[m[1]!] = m[2]!;
      }
    }
    const argv = [node, ...execStart.slice(1).map(mapped)];
    const umask = one(unit, 'Service.UMask');
    // ProtectSystem=strict: / read-only but for the state directory; PrivateTmp=: fresh /tmp and
    // /var/tmp. Then the unit's user, no new privileges, exec'd (this child's pid is node's).
    // A checkout under /tmp (CI clones may be there), or a Node.js unpacked there (CI's Node.js 24,
    // ADR 052), would vanish under the private /tmp: each is bound to a staging directory first
    // and put back, read-only, where it was (the unit's /opt/bulwark is read-only under
    // ProtectSystem=strict too).
    const carried = [REPO_ROOT, path.dirname(path.dirname(node))].filter((dir) =>
      ['/tmp/', '/var/tmp/'].some((tmp) => `${dir}/`.startsWith(tmp)),
    );
    const carriedEnv: Record<string, string> = {};
    const stageMounts: string[] = [];
    const restoreMounts: string[] = [];
    carried.forEach((dir, i) => {
      const stage = path.join(base, `carried-${i}`);
      mkdirSync(stage, { recursive: true });
      carriedEnv[`BW_CARRY_${i}`] = dir;
      carriedEnv[`BW_STAGE_${i}`] = stage;
      stageMounts.push(`mount --bind "$BW_CARRY_${i}" "$BW_STAGE_${i}"`);
      restoreMounts.push(
        `mkdir -p "$BW_CARRY_${i}"`,
        `mount --bind "$BW_STAGE_${i}" "$BW_CARRY_${i}"`,
        `mount -o remount,bind,ro "$BW_CARRY_${i}"`,
      );
    });
    const sandbox = [
      'set -e',
      'mount --bind "$BW_DATA" "$BW_DATA"',
      ...stageMounts,
      'mount -o remount,bind,ro /',
      'mount -t tmpfs -o mode=1777 tmpfs /tmp',
      'mount -t tmpfs -o mode=1777 tmpfs /var/tmp',
      ...restoreMounts,
      `umask ${umask}`,
      `unset BW_DATA ${Object.keys(carriedEnv).join(' ')}`,
      `exec setpriv --reuid=${name} --regid=${name} --init-groups --no-new-privs -- "$@"`,
    ].join('\n');
    const child = spawn(
      'unshare',
      ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', sandbox, 'sh', ...argv],
      {
        env: { ...env, BW_DATA: dataDir, ...carriedEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening after 30 s:\n${output}`)), 30_000);
      void exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`the service exited with ${code} before listening:\n${output}`));
      });
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString();
        const m = /BULWARK_LISTENING port=(\d+)/.exec(output);
        if (!m) return;
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => output, exited });
      });
    });
  }

  async function stopService(s: Service): Promise<number> {
    const started = Date.now();
    s.child.kill('SIGTERM');
    const { code, signal } = await s.exited;
    const elapsed = Date.now() - started;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    return elapsed;
  }

  const ready = async (port: number) => {
    const answer = await rawRequest(`https://127.0.0.1:${port}`, { path: '/readyz' });
    return { status: answer.status, body: JSON.parse(answer.text) as { status: string } };
  };

  it('first-time procedure: user, init as that user, key moved to a root-owned 0600 file', (ctx) => {
    need(ctx);
    // useradd --system: docs/deployment.md, step 2.
    accountTool('useradd', [
      '--system',
      '--user-group',
      '--home-dir',
      dataDir,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
    uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    execFileSync('install', ['-d', '-m', '0700', '-o', 'root', '-g', 'root', etcDir]);
    execFileSync('install', ['-d', '-m', '0700', '-o', name, '-g', name, dataDir]);
    // The key is staged in a directory only the user may write (in /run, a tmpfs, in the docs).
    const staging = path.join(base, 'init');
    execFileSync('install', ['-d', '-m', '0700', '-o', name, '-g', name, staging]);
    const init = execFileSync(
      'runuser',
      [
        '-u',
        name,
        '--',
        'env',
        '-i',
        `PATH=${PATH}`,
        `BULWARK_MASTER_KEY_FILE=${staging}/master.key`,
        node,
        path.join(REPO_ROOT, 'dist', 'main.js'),
        'init',
        '--data-dir',
        dataDir,
        '--json',
      ],
      { encoding: 'utf8', cwd: '/' },
    );
    token = (JSON.parse(init) as { authToken: string }).authToken;
    const key = mapped(credentialSource);
    execFileSync('install', [
      '-m',
      '0600',
      '-o',
      'root',
      '-g',
      'root',
      path.join(staging, 'master.key'),
      key,
    ]);
    rmSync(staging, { recursive: true, force: true });
    writeFileSync(mapped(environmentFile.replace(/^-/, '')), 'BULWARK_HOST=127.0.0.1\nBULWARK_PORT=0\n', {
      mode: 0o600,
    });

    const keyStat = statSync(key);
    expect({ uid: keyStat.uid, mode: keyStat.mode & 0o777 }).toEqual({ uid: 0, mode: 0o600 });
    const keyFile = JSON.parse(readFileSync(key, 'utf8')) as { keys: { key: string }[] };
    masterKeyBytes = keyFile.keys.map((k) => Buffer.from(k.key, 'base64'));
    expect(masterKeyBytes.length).toBe(1);
    const files = filesUnder(dataDir);
    expect(files.map((f) => path.relative(dataDir, f)).sort()).toEqual(
      ['bulwark.db', 'bulwark.json', 'tls', 'tls/cert.pem', 'tls/key.pem'].sort(),
    );
    for (const f of files) expect(statSync(f).uid, f).toBe(uid);
  });

  it('serves as its user, with the key from the credential: ready, healthy, a password round-trips', async (ctx) => {
    need(ctx);
    service = await startService();
    const status = readFileSync(`/proc/${service.child.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(uid), String(uid)]);
    expect(/^NoNewPrivs:\s+(\d)/m.exec(status)?.[1]).toBe('1');
    // The server's own view: nothing but the data directory is writable.
    const mounts = readFileSync(`/proc/${service.child.pid}/mountinfo`, 'utf8');
    expect(mounts).toMatch(/ \/ \/ ro[, ]/);

    expect(await ready(service.port)).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ready' }),
    });
    // The Dockerfile's HEALTHCHECK command, as is, against the real server; and against nothing.
    const healthcheckRun = (port: number) =>
      new Promise<number | null>((resolve) =>
        spawn(process.execPath, healthcheck.slice(1), {
          env: { PATH, BULWARK_PORT: String(port) },
          stdio: 'ignore',
        }).once('exit', resolve),
      );
    expect(await healthcheckRun(service.port)).toBe(0);
    expect(await healthcheckRun(1)).toBe(1);

    const call = pmpClient(`https://127.0.0.1:${service.port}`, token);
    const created = await call('/restapi/json/v1/resources', {
      method: 'POST',
      input: {
        operation: {
          Details: {
            RESOURCENAME: resourceName,
            RESOURCETYPE: 'Linux',
            ACCOUNTNAME: 'root',
            PASSWORD: password,
          },
        },
      },
    });
    expect(created.status, created.message).toBe('Success');
    const ids = await call('/restapi/json/v1/resources/getResourceIdAccountId', {
      query: { RESOURCENAME: resourceName, ACCOUNTNAME: 'root' },
    });
    expect(ids.status, ids.message).toBe('Success');
    const fetched = await call(
      `/restapi/json/v1/resources/${ids.details.RESOURCEID}/accounts/${ids.details.ACCOUNTID}/password`,
      { query: { REASON: 'deployment test' } },
    );
    expect(fetched.details?.PASSWORD).toBe(password);
    // The key file the server reads (0400, its own) draws no warning.
    expect(service.output()).not.toMatch(/master key file .* has mode/);
  });

  it(`stops cleanly on SIGTERM within the unit's TimeoutStopSec`, async (ctx) => {
    need(ctx);
    const elapsed = await stopService(service!);
    expect(elapsed).toBeLessThan(timeoutStopMs);
    expect(service!.output()).toContain('shutting down');
  });

  it('wrote nothing outside the data directory; the master key is not in it', (ctx) => {
    need(ctx);
    // Inside the sandbox / was read-only; these are what stayed writable to the user or are
    // separate mounts: any file the service created there would be the user's.
    const roots = ['/tmp', '/var/tmp', '/dev/shm', '/run', '/etc', '/var/lib', REPO_ROOT].filter(existsSync);
    const found = execFileSync(
      'find',
      [
        ...roots,
        // Other tests create and delete files under /tmp meanwhile: one vanishing is not an error.
        '-ignore_readdir_race',
        '-xdev',
        '(',
        '-path',
        path.join(REPO_ROOT, 'node_modules'),
        '-prune',
        ')',
        '-o',
        '-user',
        name,
        '-print',
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter((f) => f !== '' && !f.startsWith(dataDir) && !f.startsWith(credentialsDir));
    expect(found).toEqual([]);
    expect(filesUnder(dataDir).some((f) => path.basename(f).includes('master'))).toBe(false);
    for (const f of filesUnder(dataDir)) {
      if (statSync(f).isDirectory()) continue;
      const content = readFileSync(f);
      for (const key of masterKeyBytes) {
        expect(content.includes(key), f).toBe(false);
        expect(content.includes(Buffer.from(key.toString('base64'))), f).toBe(false);
      }
    }
  });

  it('an operator command as root (docs/deployment.md) leaves every file the service user`s; it starts again', async (ctx) => {
    need(ctx);
    const verify = execFileSync(
      node,
      [path.join(REPO_ROOT, 'dist', 'main.js'), 'audit', 'verify', '--data-dir', dataDir],
      { encoding: 'utf8', env: { PATH, BULWARK_MASTER_KEY_FILE: mapped(credentialSource) } },
    );
    expect(verify).toMatch(/Audit trail intact/);
    expect(filesUnder(dataDir).filter((f) => statSync(f).uid !== uid)).toEqual([]);

    service = await startService();
    expect((await ready(service.port)).status).toBe(200);
    const call = pmpClient(`https://127.0.0.1:${service.port}`, token);
    const ids = await call('/restapi/json/v1/resources/getResourceIdAccountId', {
      query: { RESOURCENAME: resourceName, ACCOUNTNAME: 'root' },
    });
    const fetched = await call(
      `/restapi/json/v1/resources/${ids.details.RESOURCEID}/accounts/${ids.details.ACCOUNTID}/password`,
      { query: { REASON: 'after a restart' } },
    );
    expect(fetched.details?.PASSWORD).toBe(password);
    expect(await stopService(service)).toBeLessThan(timeoutStopMs);
  });
});
