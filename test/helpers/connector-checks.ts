import { createServer, type Server, type Socket } from 'node:net';
import { expect } from 'vitest';
import { RemoteChangeFailure } from '../../src/modules/rotation/connectors/connector.js';

/**
 * Shared checks of the database connectors' tests: a listener that never answers (and counts the
 * connections still open, so a test sees the connector close its socket), a collector of every
 * password a test used and every failure text it saw (none may contain any), and polling.
 */

export interface SilentPort {
  readonly port: number;
  /** Connections accepted and not yet closed by the client. */
  open(): number;
  close(): Promise<void>;
}

/** A TCP listener on 127.0.0.1 that accepts connections, reads what arrives and never answers. */
export async function silentPort(): Promise<SilentPort> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    // Reading (and dropping) the input lets the client's close be seen; nothing is ever sent.
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export class SecretWatch {
  readonly passwords = new Set<string>();
  readonly texts: string[] = [];

  /** Registers a password the test uses; returns it. */
  pw(value: string): string {
    this.passwords.add(value);
    return value;
  }

  /** Awaits `call`, which must reject with a RemoteChangeFailure; keeps its texts. */
  async failure(call: Promise<unknown>): Promise<RemoteChangeFailure> {
    let caught: unknown;
    try {
      await call;
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RemoteChangeFailure);
    const failure = caught as RemoteChangeFailure;
    this.texts.push(failure.message, String(failure.stack), JSON.stringify(failure));
    return failure;
  }

  /** No failure text seen holds any registered password. */
  expectClean(): void {
    for (const password of this.passwords) {
      for (const text of this.texts) expect(text).not.toContain(password);
    }
  }
}

/** Polls `check` until it holds or `ms` pass; returns its last answer. */
export async function settle(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
