// meowtrix-server serve: run the homeserver in the foreground until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { lanUrls, isLoopback } from '../net.ts';
import { defaultDataDir, type LogLevel } from '../config.ts';
import { fail, type Command } from './common.ts';
import { parseRateLimit } from '../http/ratelimit.ts';
import { DEFAULT_ACTION_LIMITS, applyLimitSetting, copyLimits } from '../http/action_limits.ts';

export const serveUsage = `  serve [options]      run the homeserver (the default command)
    --data DIR          data directory (default ${defaultDataDir()})
    --port N            port for the client API (default 8008)
    --bind ADDR         address to listen on (default 0.0.0.0: every LAN interface)
    --server-name NAME  the name in user IDs, e.g. archpc (default: this machine's hostname)
    --open-registration let anyone on the LAN register (off by default)
    --log-level LEVEL   silent | error | warn | info | debug (default info)
    --login-rate-limit BURST:PER_SEC  failed logins allowed per IP and per user (default 5:0.1)
    --rate-limit ACTION.user|ip=BURST:PER_SEC  repeatable; ACTION is register, send, upload or invite
                        (defaults: send.user=200:20, upload.user=50:2, invite.user=50:1, register.ip=10:0.05)
    --max-upload-mb N   largest file a user may upload, in MiB (default 100)
    --user-directory all|shared  people search finds every local user (default) or only room-mates
`;

export const serve: Command = async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'server-name': { type: 'string' },
      'open-registration': { type: 'boolean' },
      'log-level': { type: 'string' },
      'login-rate-limit': { type: 'string' },
      'rate-limit': { type: 'string', multiple: true },
      'max-upload-mb': { type: 'string' },
      'user-directory': { type: 'string' },
    },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || String(port) !== values.port?.trim())) {
    fail(`--port must be a number, got "${values.port}"`);
  }
  const loginRateLimit = values['login-rate-limit'] === undefined ? undefined : parseRateLimit(values['login-rate-limit']);
  if (loginRateLimit === null) fail(`--login-rate-limit must look like 5:0.1 (burst:per-second), got "${values['login-rate-limit']}"`);
  const actionRateLimits = copyLimits(DEFAULT_ACTION_LIMITS);
  for (const setting of values['rate-limit'] ?? []) {
    const problem = applyLimitSetting(actionRateLimits, setting);
    if (problem) fail(problem);
  }
  const maxUploadMb = values['max-upload-mb'] === undefined ? undefined : Number(values['max-upload-mb']);
  if (maxUploadMb !== undefined && !(maxUploadMb > 0 && maxUploadMb <= 1024 * 1024)) {
    fail(`--max-upload-mb must be a positive number of MiB, got "${values['max-upload-mb']}"`);
  }
  const userDirectory = values['user-directory'];
  if (userDirectory !== undefined && userDirectory !== 'all' && userDirectory !== 'shared') fail(`--user-directory must be "all" or "shared", got "${userDirectory}"`);
  // Loaded here, not at the top: other commands and --help should not pay for the whole server.
  const { startHomeserver } = await import('../index.ts');
  const server = await startHomeserver({
    dataDir: values.data,
    port,
    bind: values.bind,
    serverName: values['server-name'],
    openRegistration: values['open-registration'],
    logLevel: values['log-level'] as LogLevel | undefined,
    loginRateLimit,
    actionRateLimits,
    maxUploadBytes: maxUploadMb === undefined ? undefined : Math.round(maxUploadMb * 1024 * 1024),
    userDirectorySearchAllUsers: userDirectory === undefined ? undefined : userDirectory === 'all',
  });
  // Handlers go in before the "Listening" line, so a supervisor may signal as soon as it reads it.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, stopping.\n`);
    // A final snapshot, so the next start (or a backup of the stopped data dir) replays no journal.
    server.close({ snapshot: true }).then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const { config } = server;
  const urls = lanUrls(server.port, config.bind);
  const reach = isLoopback(config.bind)
    ? `Bound to ${config.bind}: only this PC can connect. Use --bind 0.0.0.0 to let phones in.\n`
    : urls.length
      ? `On a phone (FluffyChat) or another PC, type exactly one of:\n${urls.map((u) => `  ${u}\n`).join('')}`
      : 'No LAN address found yet: connect this PC to the network, then restart.\n';
  process.stdout.write(
    `Meowtrix homeserver "${config.serverName}" is running.\n` +
      `Listening on ${server.url}\n` +
      reach +
      `Log in with the username only (e.g. "anna"), not "@anna:${config.serverName}".\n` +
      (server.userCount === 0 ? firstAdminHint(config.dataDir) : ''),
  );

};

/** A fresh data dir has no accounts: say exactly how to make the first (admin) one. */
function firstAdminHint(dataDir: string): string {
  const dataFlag = dataDir === defaultDataDir() ? '' : ` --data ${JSON.stringify(dataDir)}`;
  return (
    `\nNo accounts yet. Create the first admin account (this works while the server runs):\n` +
    `  meowtrix-server user add YOURNAME --admin${dataFlag}\n` +
    `It asks for the password. Then log in as YOURNAME on any device.\n`
  );
}
