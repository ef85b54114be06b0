// Shared pieces of the CLI subcommands.

/** A subcommand: gets its own argv (after the command name). */
export type Command = (argv: string[]) => Promise<void>;

/** Ends the process with a one-line error, never a stack trace. */
export function fail(message: string): never {
  process.stderr.write(`meowtrix-server: ${message}\n`);
  process.exit(1);
}
