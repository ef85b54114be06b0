// The homeserver as a library: startHomeserver(config) → { url, close() }.
// Electron's utility process and the headless CLI both start it through here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveConfig, ensureDataDir, type HomeserverConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { createApp } from './http/app.ts';
import type { ServerContext } from './context.ts';
import { systemClock } from './clock.ts';
import { openStorage } from './storage/database.ts';
import { MIGRATIONS } from './storage/migrations/index.ts';
import { createAccountServices } from './accounts/index.ts';
import { createAuthenticator } from './accounts/authenticator.ts';
import { pinServerName } from './accounts/server_name.ts';
import { listenAdminSocket } from './http/admin_socket.ts';
import { countUsers } from './storage/repos/users.ts';

export type { HomeserverConfig } from './config.ts';

export interface RunningHomeserver {
  /** Base URL on the bound address, e.g. http://127.0.0.1:8008 */
  url: string;
  port: number;
  config: HomeserverConfig;
  /** Accounts at start; 0 means a fresh data dir (serve prints how to make the first admin). */
  userCount: number;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  readonly port: number;
  readonly bind: string;
  constructor(bind: string, port: number) {
    super(`port ${port} on ${bind} is already in use`);
    this.port = port;
    this.bind = bind;
  }
}

export async function startHomeserver(
  partial: Partial<HomeserverConfig> = {},
  options: { log?: Logger } = {},
): Promise<RunningHomeserver> {
  const config = resolveConfig(partial);
  const log = options.log ?? createLogger(config.logLevel);
  ensureDataDir(config.dataDir);

  const storage = await openStorage({ dir: config.dataDir, migrations: MIGRATIONS, log });
  await pinServerName(storage, config.serverName, log);
  const accountServices = createAccountServices({ storage, clock: systemClock, serverName: config.serverName, log, passwordRateLimit: config.loginRateLimit });
  const ctx: ServerContext = { config, log, storage, clock: systemClock, ...accountServices };
  const { app } = createApp(ctx, createAuthenticator(accountServices.accounts));

  const server = http.createServer(app);
  // Long-polls last up to 30 s; keep idle sockets a little longer than clients expect.
  server.keepAliveTimeout = 65_000;
  let adminSocket: { close(): Promise<void> } | null = null;
  try {
    await listen(server, config.port, config.bind);
    // The CLI's way in while we hold the database (user add, token create, ...).
    adminSocket = await listenAdminSocket(config.dataDir, { ...accountServices, storage }, log);
  } catch (err) {
    server.close();
    await storage.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind === '::' ? '[::1]' : config.bind;
  const url = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  log.info(`homeserver ${config.serverName} listening on ${config.bind}:${port}, data in ${config.dataDir}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    config,
    userCount: storage.read((db) => countUsers(db)),
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Long-polling requests would hold close() open; end them now.
          setTimeout(() => server.closeAllConnections(), 200).unref();
        });
        await adminSocket?.close();
        await storage.close();
        log.info('homeserver stopped');
      })();
      return closing;
    },
  };
}

function listen(server: http.Server, port: number, bind: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(bind, port) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, bind);
  });
}
