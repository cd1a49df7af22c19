import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay to a local port (sshd) that lets `state.allow` more connections through, then
 * refuses them: the host "down" from then on; `allow = Infinity` brings it back. Loopback only.
 */
export async function relayTo(port: number) {
  const sockets = new Set<Socket>();
  const state = { allow: Infinity, accepted: 0 };
  const server: Server = createServer((client) => {
    if (state.allow <= 0) {
      client.destroy();
      return;
    }
    state.allow--;
    state.accepted++;
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export type TcpRelay = Awaited<ReturnType<typeof relayTo>>;
