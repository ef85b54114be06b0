// Host operations for the CLI, loaded only when a command runs: the admin socket client and the
// offline path pull in storage and the account services, which `--help` and `serve` don't need.
export async function runHostOp(options: { dataDir: string; serverName?: string }, op: string, args: Record<string, unknown>): Promise<any> {
  const { runHostOp: run } = await import('../accounts/admin_cli.ts');
  return run(options, op, args);
}
