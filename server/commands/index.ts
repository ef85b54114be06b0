// The CLI's subcommands. Adding one adds a line here and its usage text.
import { serve, serveUsage } from './serve.ts';
import { user, userUsage } from './user.ts';
import { token, tokenUsage } from './token.ts';
import { backup, restore, backupUsage } from './backup.ts';
import { media, mediaUsage } from './media.ts';
import type { Command } from './common.ts';

export const COMMANDS: Record<string, Command> = {
  serve,
  user,
  token,
  backup,
  restore,
  media,
};

export const USAGE = `Usage: meowtrix-server <command> [options]

Commands:
${serveUsage}${userUsage}${tokenUsage}${backupUsage}${mediaUsage}`;
