// The homeserver as a library: startHomeserver(config) → { url, close() }.
// Electron's utility process and the headless CLI both start it through here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveConfig, ensureDataDir, type HomeserverConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { createApp } from './http/app.ts';
import { listen } from './http/listen.ts';
import type { ServerContext } from './context.ts';
import { systemClock } from './clock.ts';
import { openStorage } from './storage/database.ts';
import { MIGRATIONS } from './storage/migrations/index.ts';
import { createUserData } from './userdata/index.ts';
import { createAccountServices } from './accounts/index.ts';
import { createAuthenticator } from './accounts/authenticator.ts';
import { pinServerName } from './accounts/server_name.ts';
import { listenAdminSocket } from './http/admin_socket.ts';
import { answerClientErrorsAsJson } from './http/client_error.ts';
import { ActionLimiter } from './http/action_limits.ts';
import { countUsers } from './storage/repos/users.ts';
import { createE2eeServices } from './e2ee/index.ts';
import { Notifier } from './sync/notifier.ts';
import { RoomService } from './rooms/service.ts';
import { loadOrCreateSigningKey } from './rooms/signing_key.ts';
import { SyncService } from './sync/service.ts';
import { createStreamProviders } from './sync/streams/index.ts';
import { MediaService } from './media/service.ts';
import { PusherService } from './push/pushers.ts';
import { PushDelivery } from './push/delivery.ts';
import { SearchIndexer } from './search/indexer.ts';
import { StatusFeed } from './status/feed.ts';
import { StatusService } from './status/service.ts';
import { releaseHeapAfterBursts } from './memory.ts';

export type { HomeserverConfig } from './config.ts';
export { PortInUseError } from './http/listen.ts';

export interface RunningHomeserver {
  /** Base URL on the bound address, e.g. http://127.0.0.1:8008 */
  url: string;
  port: number;
  config: HomeserverConfig;
  /** Accounts at start; 0 means a fresh data dir (serve prints how to make the first admin). */
  userCount: number;
  /** snapshot: leave a fresh database snapshot (the desktop app's quit), so the next start replays no journal. */
  close(options?: { snapshot?: boolean }): Promise<void>;
}

export async function startHomeserver(
  partial: Partial<HomeserverConfig> = {},
  options: { log?: Logger } = {},
): Promise<RunningHomeserver> {
  const config = resolveConfig(partial);
  const log = options.log ?? createLogger(config.logLevel);
  ensureDataDir(config.dataDir);

  const storage = await openStorage({
    dir: config.dataDir, migrations: MIGRATIONS, log,
    onDiskFailure: (err) => {
      // Memory is now ahead of the disk, and no answer showing it has left (http/app.ts): stop, and
      // the restart (the desktop app's supervisor, systemd) recovers what the disk holds.
      log.error('storage: the journal could not be synced to disk; stopping the server', err);
      process.exit(1);
    },
  });
  await pinServerName(storage, config.serverName, log);
  const accountServices = createAccountServices({ storage, clock: systemClock, serverName: config.serverName, log, passwordRateLimit: config.loginRateLimit });
  // One notifier wakes every waiting /sync; each service tells it what changed once a write has committed
  // (what the woken /sync answers waits in http/app.ts until it is durable).
  const notifier = new Notifier();
  const rooms = new RoomService({ serverName: config.serverName, storage, clock: systemClock, signingKey: loadOrCreateSigningKey(config.dataDir), notifier, log });
  rooms.profileOf = (userId) => accountServices.profiles.get(userId) ?? {};
  accountServices.profiles.onProfileChanged((userId, profile) => rooms.updateProfileInRooms(userId, profile));
  // A deactivated account leaves its rooms (as Synapse does): member lists and E2EE recipients drop it.
  accountServices.accounts.onUserDeactivated((userId) => {
    void (async () => {
      for (const roomId of rooms.joinedRoomIds(userId)) {
        await rooms.setMembership(roomId, userId, userId, 'leave').catch((err: unknown) => log.warn(`deactivated ${userId} could not leave ${roomId}: ${(err as Error).message}`));
      }
    })();
  });
  const e2ee = createE2eeServices({
    storage,
    log,
    devices: {
      deviceIds: (userId) => accountServices.accounts.listDevices(userId).map((d) => d.device_id),
      displayName: (userId, deviceId) => accountServices.accounts.getDevice(userId, deviceId)?.display_name ?? null,
    },
    members: rooms,
    changes: notifier,
  });
  rooms.onEventPersisted((db, event) => e2ee.deviceLists.onRoomEvent(db, event));
  accountServices.accounts.onDevicesRemoved((userId, deviceIds) => {
    void e2ee.keys.forgetDevices(userId, deviceIds).catch((err: unknown) => log.error('could not forget device keys', err));
  });
  const media = new MediaService({ config, storage, clock: systemClock, log });
  const userData = createUserData({ storage, clock: systemClock, notify: (change) => notifier.notify(change) });
  rooms.onEventPersisted((db, event, state) => userData.notifications.onEventPersisted(db, event, state));
  const searchIndex = new SearchIndexer({ storage, log });
  rooms.onEventPersisted((db, event, state) => searchIndex.onEventPersisted(db, event, state));
  const pushers = new PusherService(storage, systemClock);
  const pushDelivery = new PushDelivery({ storage, pushers, log, timings: pushTimingsFromEnv() });
  rooms.onCommitted((events) => pushDelivery.onCommitted(events));
  accountServices.accounts.onDevicesRemoved((userId, deviceIds) => {
    void pushers.forgetDevices(userId, deviceIds).catch((err: unknown) => log.error('could not forget pushers of removed devices', err));
  });
  rooms.onCommitted((events) => userData.onEventsCommitted(events));
  // The host panel's live status: messages counted as they commit; any device's request may change it.
  const statusFeed = new StatusFeed({
    serverName: config.serverName,
    dataDir: config.dataDir,
    storage,
    clock: systemClock,
    recentlySeen: (sinceTs) => accountServices.accounts.recentlySeen(sinceTs),
    deviceName: (userId, deviceId) => accountServices.accounts.getDevice(userId, deviceId)?.display_name ?? null,
  });
  rooms.onCommitted((events) => statusFeed.onEventsCommitted(events));
  accountServices.accounts.onSeen(() => statusFeed.changed());
  const status = new StatusService({ feed: statusFeed, clock: systemClock, log, authenticate: (token, seen) => accountServices.accounts.authenticateToken(token, seen) });
  const services = { config, log, storage, clock: systemClock, ...accountServices, notifier, e2ee, media, rooms, userData, push: { pushers }, limits: new ActionLimiter(config.actionRateLimits), status, searchIndex };
  const ctx: ServerContext = { ...services, sync: new SyncService(createStreamProviders(services), notifier) };
  const { app, serverOptions } = createApp(ctx, createAuthenticator(accountServices.accounts));

  const server = http.createServer(serverOptions, app);
  answerClientErrorsAsJson(server);
  // Whatever a finished request wrote (an account, an upload) may show in the status; only watched when someone listens.
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (statusFeed.subscriberCount > 0) res.once('finish', () => statusFeed.changed());
  });
  server.on('upgrade', (req, socket, head) => status.handleUpgrade(req, socket, head));
  // Long-polls last up to 30 s; keep idle sockets a little longer than clients expect.
  server.keepAliveTimeout = 65_000;
  let adminSocket: { close(): Promise<void> } | null = null;
  try {
    await searchIndex.start(); // before any event is stored
    await listen(server, config.port, config.bind);
    // The CLI's way in while we hold the database (user add, token create, ...).
    adminSocket = await listenAdminSocket(config.dataDir, { ...accountServices, storage, media }, log);
  } catch (err) {
    server.close();
    await storage.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind === '::' ? '[::1]' : config.bind;
  const url = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  log.info(`homeserver ${config.serverName} listening on ${config.bind}:${port}, data in ${config.dataDir}`);
  const stopReleasingHeap = releaseHeapAfterBursts(log);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    config,
    userCount: storage.read((db) => countUsers(db)),
    close(options = {}) {
      closing ??= (async () => {
        status.close(); // upgraded sockets are not closed by server.close()
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Long-polling requests would hold close() open; end them now.
          setTimeout(() => server.closeAllConnections(), 200).unref();
        });
        pushDelivery.close();
        stopReleasingHeap();
        userData.close();
        await searchIndex.close();
        await adminSocket?.close();
        if (options.snapshot && storage.stats().journalRecords > 0) {
          await storage.snapshotNow().catch((err: unknown) => log.error('final snapshot failed', err));
        }
        await storage.close();
        log.info('homeserver stopped');
      })();
      return closing;
    },
  };
}

/** Push retry backoff may be shortened through the environment (tests). */
function pushTimingsFromEnv(env: NodeJS.ProcessEnv = process.env): { retryBaseMs?: number } {
  const ms = Number(env.MEOWTRIX_PUSH_RETRY_MS);
  return Number.isSafeInteger(ms) && ms > 0 ? { retryBaseMs: ms } : {};
}
