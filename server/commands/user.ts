// meowtrix-server user add|list|passwd|deactivate: accounts, made by the host.
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../config.ts';
import { fail, type Command } from './common.ts';
import { HostOpError } from '../accounts/errors.ts';
import { runHostOp } from './host_op.ts';
import { promptNewPassword } from '../accounts/prompt.ts';

export const userUsage = `  user add NAME [--password PW] [--admin]   make an account (asks for the password if not given)
  user list                                 list accounts
  user passwd NAME [--password PW]          set a new password (logs the user's devices out)
  user deactivate NAME                      disable an account for good
    --data DIR          data directory (default ${defaultDataDir()})
    --server-name NAME  only when the server has never run: the name in user IDs
`;

export const user: Command = async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      'server-name': { type: 'string' },
      password: { type: 'string' },
      admin: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, name, ...extra] = positionals;
  if (extra.length) fail(`unexpected arguments: ${extra.join(' ')}\n\n${userUsage}`);
  const target = { dataDir: values.data ?? defaultDataDir(), serverName: values['server-name'] };
  const needName = () => name ?? fail(`user ${sub} needs a NAME\n\n${userUsage}`);
  try {
    switch (sub) {
      case 'add': {
        const localpart = needName();
        const password = values.password ?? (await promptNewPassword());
        if (!password) fail('the password must not be empty');
        const result = await runHostOp(target, 'user.add', { name: localpart, password, admin: values.admin === true });
        process.stdout.write(`Created ${result.user_id}${values.admin ? ' (admin)' : ''}. Log in with the username "${localpart}".\n`);
        return;
      }
      case 'list': {
        const result = await runHostOp(target, 'user.list', {});
        if (!result.users.length) process.stdout.write('No accounts yet.\n');
        for (const u of result.users as { user_id: string; admin: boolean; deactivated: boolean; displayname: string | null }[]) {
          const flags = [u.admin ? 'admin' : '', u.deactivated ? 'deactivated' : ''].filter(Boolean).join(', ');
          process.stdout.write(`${u.user_id}${u.displayname ? `  "${u.displayname}"` : ''}${flags ? `  (${flags})` : ''}\n`);
        }
        return;
      }
      case 'passwd': {
        const localpart = needName();
        const password = values.password ?? (await promptNewPassword());
        if (!password) fail('the password must not be empty');
        const result = await runHostOp(target, 'user.passwd', { name: localpart, password });
        process.stdout.write(`Password changed for ${result.user_id}; its devices were logged out.\n`);
        return;
      }
      case 'deactivate': {
        const result = await runHostOp(target, 'user.deactivate', { name: needName() });
        process.stdout.write(`Deactivated ${result.user_id}.\n`);
        return;
      }
      default:
        fail(`user needs a subcommand: add, list, passwd or deactivate\n\n${userUsage}`);
    }
  } catch (err) {
    if (err instanceof HostOpError) fail(err.message);
    throw err;
  }
};
