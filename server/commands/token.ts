// meowtrix-server token create|list|revoke: registration tokens the host hands out.
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../config.ts';
import { fail, type Command } from './common.ts';
import { HostOpError } from '../accounts/errors.ts';
import { runHostOp } from './host_op.ts';

export const tokenUsage = `  token create [--uses N] [--expires DURATION]   make a registration token (DURATION: 30m, 12h, 7d)
  token list                                     list registration tokens
  token revoke TOKEN                             delete a registration token
    --data DIR          data directory (default ${defaultDataDir()})
`;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "30m", "12h", "7d" → milliseconds; null when unreadable. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)\s*([smhdw])$/i.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

interface TokenInfo {
  token: string;
  uses_allowed: number | null;
  completed: number;
  expiry_time: number | null;
}

function describe(t: TokenInfo): string {
  const uses = t.uses_allowed === null ? `${t.completed} used, unlimited` : `${t.completed}/${t.uses_allowed} used`;
  const expiry = t.expiry_time === null ? 'never expires' : `expires ${new Date(t.expiry_time).toISOString()}`;
  return `${t.token}  (${uses}, ${expiry})`;
}

export const token: Command = async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, uses: { type: 'string' }, expires: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, arg, ...extra] = positionals;
  if (extra.length) fail(`unexpected arguments: ${extra.join(' ')}\n\n${tokenUsage}`);
  const target = { dataDir: values.data ?? defaultDataDir() };
  try {
    switch (sub) {
      case 'create': {
        const uses = values.uses === undefined ? null : Number(values.uses);
        if (uses !== null && (!Number.isSafeInteger(uses) || uses < 1)) fail(`--uses must be a positive whole number, got "${values.uses}"`);
        const duration = values.expires === undefined ? null : parseDuration(values.expires);
        if (values.expires !== undefined && duration === null) fail(`--expires must look like 30m, 12h or 7d, got "${values.expires}"`);
        const created = (await runHostOp(target, 'token.create', {
          uses_allowed: uses,
          expiry_time: duration === null ? null : Date.now() + duration,
        })) as TokenInfo;
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`Registration token created: ${describe(created)}\n`);
        return;
      }
      case 'list': {
        const result = (await runHostOp(target, 'token.list', {})) as { registration_tokens: TokenInfo[] };
        if (!result.registration_tokens.length) process.stdout.write('No registration tokens.\n');
        for (const t of result.registration_tokens) process.stdout.write(describe(t) + '\n');
        return;
      }
      case 'revoke': {
        if (!arg) fail(`token revoke needs a TOKEN\n\n${tokenUsage}`);
        await runHostOp(target, 'token.revoke', { token: arg });
        process.stdout.write(`Revoked ${arg}.\n`);
        return;
      }
      default:
        fail(`token needs a subcommand: create, list or revoke\n\n${tokenUsage}`);
    }
  } catch (err) {
    if (err instanceof HostOpError) fail(err.message);
    throw err;
  }
};
