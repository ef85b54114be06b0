// meowtrix-server backup / restore: the whole data dir as one file, safe while the server runs.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { defaultDataDir } from '../config.ts';
import { createLogger } from '../log.ts';
import { backupDataDir, restoreDataDir } from '../storage/backup.ts';
import { fail, type Command } from './common.ts';

export const backupUsage = `  backup --out FILE [--data DIR]
                        write a consistent copy of the data dir (database, keys, media) to FILE;
                        works while the server runs
  restore --in FILE [--data DIR] [--force]
                        restore a backup into DIR (stop the server first); refuses a non-empty DIR
                        unless --force, which replaces its contents
`;

export const backup: Command = async (argv) => {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, out: { type: 'string' } }, strict: true });
  if (!values.out) fail('backup needs --out FILE');
  const dir = path.resolve(values.data ?? defaultDataDir());
  const result = await backupDataDir(dir, path.resolve(values.out), createLogger('warn'));
  process.stdout.write(`Backed up ${dir} (database as of write ${result.seq}, ${result.files} other files, ${(result.bytes / 1e6).toFixed(1)} MB) to ${values.out}\n`);
};

export const restore: Command = async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, in: { type: 'string' }, force: { type: 'boolean' } },
    strict: true,
  });
  if (!values.in) fail('restore needs --in FILE');
  const dir = path.resolve(values.data ?? defaultDataDir());
  const result = await restoreDataDir(path.resolve(values.in), dir, values.force === true);
  process.stdout.write(`Restored ${values.in} into ${dir} (database as of write ${result.seq}, ${result.files} other files)\n`);
};
