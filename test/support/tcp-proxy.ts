import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  url: string;
  /** Refuses new connections and cuts open ones: the service has vanished. */
  down(): Promise<void>;
  /**
   * The network blackholes: connections are accepted and never answered, and open ones go silent without
   * being closed (half-open), as behind a failed router or firewall.
   */
  blackhole(): Promise<void>;
  /**
   * Serves again on the same port. Connections that went silent stay silent and open (nothing tells the
   * client they are dead): only its own timeouts get it out of them.
   */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback TCP proxy in front of `target` (http://127.0.0.1:port) that tests switch off and on. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let silent = false;
  let server: Server | undefined;
  let listenPort = 0;
  const track = (socket: Socket, pair: Socket[]) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {
      for (const s of pair) s.destroy();
    });
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        if (silent) {
          // Accept, read nothing, answer nothing.
          track(client, [client]);
          client.pause();
          return;
        }
        const upstream = connect(Number(port), hostname);
        for (const socket of [client, upstream]) track(socket, [client, upstream]);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(listenPort, '127.0.0.1', () => {
        listenPort = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    url: `http://127.0.0.1:${listenPort}`,
    down: stop,
    blackhole: async () => {
      silent = true;
      if (!server) await listen();
      // Open connections stop carrying bytes either way, and nobody closes them.
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    up: async () => {
      silent = false;
      if (!server) await listen();
    },
    close: stop,
  };
}
