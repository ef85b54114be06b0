// meowtrix-server media usage|purge: how much the household's files take, and clearing out old ones.
// Talks to the running server over its admin socket, or opens the data dir when no server runs.
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../config.ts';
import { fail, type Command } from './common.ts';
import { HostOpError } from '../accounts/errors.ts';
import { runHostOp } from './host_op.ts';
import { parseDuration } from './token.ts';

export const mediaUsage = `  media usage                        files and bytes per user, and disk use
  media purge --older-than DURATION  delete uploads older than DURATION (e.g. 90d, 12w)
  media purge --before DATE          delete uploads made before DATE (e.g. 2026-01-31)
    --data DIR          data directory (default ${defaultDataDir()})
`;

interface Usage {
  users: { uploader: string; media_count: number; media_length: number }[];
  total_count: number;
  total_bytes: number;
  disk_bytes: { content: number; thumbnails: number };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export const media: Command = async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, 'older-than': { type: 'string' }, before: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...extra] = positionals;
  if (extra.length) fail(`unexpected arguments: ${extra.join(' ')}\n\n${mediaUsage}`);
  const target = { dataDir: values.data ?? defaultDataDir() };
  try {
    switch (sub) {
      case 'usage': {
        const usage = (await runHostOp(target, 'media.usage', {})) as Usage;
        if (!usage.users.length) process.stdout.write('No uploads yet.\n');
        for (const u of usage.users) {
          process.stdout.write(`${u.uploader}  ${u.media_count} file${u.media_count === 1 ? '' : 's'}  ${formatBytes(u.media_length)}\n`);
        }
        process.stdout.write(
          `Total: ${usage.total_count} file${usage.total_count === 1 ? '' : 's'}, ${formatBytes(usage.total_bytes)}` +
            ` (on disk: ${formatBytes(usage.disk_bytes.content)} content, ${formatBytes(usage.disk_bytes.thumbnails)} thumbnails)\n`,
        );
        return;
      }
      case 'purge': {
        const beforeTs = purgeCutoff(values['older-than'], values.before);
        const result = (await runHostOp(target, 'media.purge', { before_ts: beforeTs })) as { deleted: number; bytes: number };
        const what = values.before !== undefined ? `made before ${new Date(beforeTs).toISOString()}` : `older than ${values['older-than']}`;
        process.stdout.write(`Deleted ${result.deleted} upload${result.deleted === 1 ? '' : 's'} ${what} (${formatBytes(result.bytes)}).\n`);
        return;
      }
      default:
        fail(`media needs a subcommand: usage or purge\n\n${mediaUsage}`);
    }
  } catch (err) {
    if (err instanceof HostOpError) fail(err.message);
    throw err;
  }
};

/** The purge cutoff in ms: exactly one of --older-than DURATION or --before DATE. */
function purgeCutoff(olderThan: string | undefined, before: string | undefined): number {
  if ((olderThan === undefined) === (before === undefined)) fail(`media purge needs --older-than DURATION or --before DATE\n\n${mediaUsage}`);
  if (olderThan !== undefined) {
    const ms = parseDuration(olderThan);
    if (ms === null) fail(`--older-than must look like 30d, 12h or 8w, got "${olderThan}"`);
    return Date.now() - ms;
  }
  const ts = /^\d+$/.test(before!) ? Number(before) : Date.parse(before!);
  if (!Number.isSafeInteger(ts) || ts < 0) fail(`--before must be a date like 2026-01-31 (or a time in ms), got "${before}"`);
  return ts;
}
