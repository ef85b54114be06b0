#!/usr/bin/env node
// meowtrix-server: the homeserver without the desktop app. `meowtrix-server --help` lists commands.
import { COMMANDS, USAGE } from './commands/index.ts';
import { fail } from './commands/common.ts';
import { PortInUseError } from './http/listen.ts';
import { ConfigError } from './config.ts';
import { StorageError } from './storage/errors.ts';

async function main(argv: string[]): Promise<void> {
  const [first = 'serve', ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  // Bare options mean `serve`.
  const [name, args] = first.startsWith('-') ? ['serve', argv] : [first, rest];
  // `meowtrix-server serve --help` too: the usage covers every command's options.
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) fail(`unknown command "${name}"\n\n${USAGE}`);
  await command(args);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof PortInUseError) fail(`${err.message}; stop the other server or choose another with --port`);
  if (err instanceof ConfigError || err instanceof StorageError) fail(err.message);
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) fail(`${err.message}\n\n${USAGE}`);
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
});
