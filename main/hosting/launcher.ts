// The narrow seam between the supervisor and whatever runs the server process: Electron's
// utilityProcess in the app, child_process.fork under Node (tests, headless).

export interface LaunchOptions {
  /** Absolute path of the server's host entry (server/host_entry.ts or dist/server/host_entry.js). */
  entry: string;
  env: Record<string, string>;
  /** Node/V8 options for the new process (before the entry), e.g. --max-semi-space-size. */
  execArgv: string[];
}

export interface HostedChild {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone, with its exit code (null when killed by a signal). */
  onExit(listener: (code: number | null) => void): void;
  kill(signal: NodeJS.Signals): void;
}

export interface ProcessLauncher {
  launch(options: LaunchOptions): HostedChild;
}
