import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient, rawRequest } from '../helpers/client.js';
import { freePort } from '../helpers/postgres.js';
import {
  CLI,
  createInstance,
  dialects,
  serve,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';

const execFileAsync = promisify(execFile);

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BULWARK_LOG_LEVEL: 'warn', ...extra };
  delete env.BULWARK_DATABASE_URL;
  return env;
}

/** Runs a long-lived CLI command until it prints the listening line; returns its output so far. */
function startUntilListening(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /BULWARK_LISTENING port=(\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  return {
    listening,
    stdout: () => stdout,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('the bulwark command line', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'bulwark-cli-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('init --json prints exactly one JSON object with the three credentials', async () => {
    const dir = path.join(work, 'json');
    const { stdout } = await execFileAsync(process.execPath, [CLI, 'init', '--data-dir', dir, '--json'], {
      env: cleanEnv(),
    });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const credentials = JSON.parse(lines[0]!);
    expect(Object.keys(credentials).sort()).toEqual(['authToken', 'password', 'username']);
    expect(credentials.username).toBe('admin');
    expect(credentials.password).toMatch(/^\S{20}$/);
    expect(credentials.authToken).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  });

  it('init without --json tells a person the credentials, once', async () => {
    const dir = path.join(work, 'human');
    const { stdout } = await execFileAsync(process.execPath, [CLI, 'init', '--data-dir', dir], {
      env: cleanEnv(),
    });
    expect(stdout).toMatch(/Administrator:\s+admin/);
    expect(stdout).toMatch(/Password:\s+\S{20}/);
    expect(stdout).toMatch(/API auth token:\s+[0-9A-F-]{36}/);
  });

  it('start initialises a new directory, prints the credentials once, and serves; a second start only serves', async () => {
    const dir = path.join(work, 'start');
    const env = cleanEnv();
    const first = startUntilListening(
      ['start', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0'],
      env,
    );
    const port = await first.listening;
    const token = /API auth token:\s+(\S+)/.exec(first.stdout())![1]!;
    const answer = await pmpClient(
      `https://127.0.0.1:${port}`,
      token,
    )('/restapi/json/v1/resources/resourcetypes');
    expect(answer.status).toBe('Success');
    expect(await first.stop()).toBe(0);

    const second = startUntilListening(
      ['start', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0'],
      env,
    );
    const port2 = await second.listening;
    expect(second.stdout()).not.toMatch(/API auth token/);
    expect((await pmpClient(`https://127.0.0.1:${port2}`, token)('/restapi/json/v1/resources')).status).toBe(
      'Success',
    );
    expect(await second.stop()).toBe(0);
  });

  it('serve takes its settings from BULWARK_DATA_DIR, BULWARK_PORT and BULWARK_HOST', async () => {
    const dir = path.join(work, 'env');
    const init = await execFileAsync(process.execPath, [CLI, 'init', '--data-dir', dir, '--json'], {
      env: cleanEnv(),
    });
    const { authToken } = JSON.parse(init.stdout);
    const port = await freePort();
    const server = startUntilListening(
      ['serve'],
      cleanEnv({ BULWARK_DATA_DIR: dir, BULWARK_PORT: String(port), BULWARK_HOST: '127.0.0.1' }),
    );
    expect(await server.listening).toBe(port);
    expect(
      (await pmpClient(`https://127.0.0.1:${port}`, authToken)('/restapi/json/v1/resources')).status,
    ).toBe('Success');
    expect(await server.stop()).toBe(0);
  });

  it('refuses to serve a directory that was never initialised, and says what to do', async () => {
    const result = await execFileAsync(
      process.execPath,
      [CLI, 'serve', '--data-dir', path.join(work, 'nothing'), '--port', '0'],
      {
        env: cleanEnv(),
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not an initialised Bulwark data directory.*bulwark init/);
  });
});

describe.each(dialects())('password history and default upload limits on %s', (dialect) => {
  let instance: Instance;
  let server: RunningServer;
  let call: ReturnType<typeof pmpClient>;

  beforeAll(async () => {
    instance = await createInstance(dialect);
    server = await serve(instance);
    call = pmpClient(server.baseUrl, server.token);
  });
  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  });

  it('keeps every replaced password, newest first, readable by the owner and audited', async () => {
    const created = await call('/restapi/json/v1/resources', {
      method: 'POST',
      input: details({
        RESOURCENAME: 'history',
        RESOURCETYPE: 'Linux',
        ACCOUNTNAME: 'root',
        PASSWORD: 'first+&%',
      }),
    });
    const account = `/restapi/json/v1/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}`;
    for (const next of ['second é', 'third "q"']) {
      const changed = await call(`${account}/password`, {
        method: 'PUT',
        input: details({ NEWPASSWORD: next }),
      });
      expect(changed.status, changed.message).toBe('Success');
    }
    const history = await call(`${account}/passwordhistory`, { input: details({ REASON: 'review' }) });
    expect(history.status, history.message).toBe('Success');
    expect(history.details.map((h: any) => h.PASSWORD)).toEqual(['second é', 'first+&%']);
    expect(history.totalRows).toBe(2);
    const audit = await call('/restapi/json/v1/audit', { query: { LIMIT: '5' } });
    expect(audit.details[0]).toMatchObject({ OPERATIONTYPE: 'Password History Retrieved', REASON: 'review' });
  });

  it('accepts a 10 MiB file by default and returns it byte for byte; one byte more is refused', async () => {
    const upload = async (name: string, content: Buffer) => {
      const boundary = `b${randomBytes(8).toString('hex')}`;
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="INPUT_DATA"\r\n\r\n` +
            JSON.stringify(
              details({ RESOURCENAME: name, RESOURCETYPE: 'File Store', ACCOUNTNAME: 'blob', PASSWORD: 'x' }),
            ) +
            `\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}.bin"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        ),
        content,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const response = await rawRequest(server.baseUrl, {
        method: 'POST',
        path: '/restapi/json/v1/resources',
        headers: { AUTHTOKEN: server.token, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      });
      return JSON.parse(response.text).operation;
    };
    const tenMiB = randomBytes(10 * 1024 * 1024);
    const accepted = await upload('ten-mib', tenMiB);
    expect(accepted.result.status, accepted.result.message).toBe('Success');
    const download = await rawRequest(server.baseUrl, {
      path: `/restapi/json/v1/resources/${accepted.Details.RESOURCEID}/accounts/${accepted.Details.ACCOUNTID}/downloadfile`,
      headers: { AUTHTOKEN: server.token },
    });
    expect(download.body.equals(tenMiB)).toBe(true);

    const refused = await upload('too-big', randomBytes(10 * 1024 * 1024 + 1));
    expect(refused.result.status).toBe('Failed');
    expect(refused.result.message).toMatch(/larger than the limit/);
    const lookup = await call('/restapi/json/v1/resources/resourcename/too-big');
    expect(lookup.status).toBe('Failed');
  });
});
