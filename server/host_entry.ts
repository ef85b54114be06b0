// The homeserver as a supervised child: Electron's utilityProcess in the app, child_process.fork in tests.
// Config comes as JSON in MEOWTRIX_HOST_CONFIG; we report {type:'ready'|'failed'} to the parent and
// close cleanly on a {type:'stop'} message or SIGTERM.
import { startHomeserver, PortInUseError, type RunningHomeserver } from './index.ts';
import { ConfigError, type HomeserverConfig } from './config.ts';

export type HostMessage =
  | { type: 'ready'; url: string; port: number; serverName: string; userCount: number }
  | { type: 'failed'; reason: 'port-in-use' | 'config' | 'error'; error: string }
  | { type: 'stopped' };

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

// Electron's utility process has process.parentPort; a forked Node child has process.send.
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: HostMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

function onParentMessage(listener: (message: unknown) => void): void {
  if (parentPort) parentPort.on('message', (event) => listener(event.data));
  else process.on('message', listener);
}

function readConfig(): Partial<HomeserverConfig> {
  const raw = process.env.MEOWTRIX_HOST_CONFIG;
  if (!raw) throw new ConfigError('MEOWTRIX_HOST_CONFIG is not set');
  const parsed = JSON.parse(raw) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('MEOWTRIX_HOST_CONFIG must be a JSON object');
  return parsed as Partial<HomeserverConfig>;
}

let server: RunningHomeserver | null = null;
let stopping = false;

function stop(): void {
  if (stopping) return;
  stopping = true;
  const done = (code: number) => {
    send({ type: 'stopped' });
    // Let the IPC message flush before leaving.
    setTimeout(() => process.exit(code), 50);
  };
  if (!server) return done(0);
  // A clean stop (quit, "Host server" off) leaves a final snapshot.
  server.close({ snapshot: true }).then(
    () => done(0),
    (err: unknown) => {
      process.stderr.write(`error while stopping: ${String(err)}\n`);
      done(1);
    },
  );
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
onParentMessage((message) => {
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stop') stop();
});

try {
  server = await startHomeserver(readConfig());
  if (stopping) await server.close();
  else send({ type: 'ready', url: server.url, port: server.port, serverName: server.config.serverName, userCount: server.userCount });
} catch (err) {
  const reason = err instanceof PortInUseError ? 'port-in-use' : err instanceof ConfigError || err instanceof SyntaxError ? 'config' : 'error';
  process.stderr.write(`homeserver failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  send({ type: 'failed', reason, error: err instanceof Error ? err.message : String(err) });
  setTimeout(() => process.exit(reason === 'error' ? 1 : 2), 50);
}
