// ProcessLauncher on child_process.fork: runs the host entry under this Node (tests and headless use).
// The app itself uses utility_launcher.ts; fork breaks when Electron's runAsNode fuse is off.
import { fork } from 'node:child_process';
import type { HostedChild, LaunchOptions, ProcessLauncher } from './launcher.ts';

export const forkLauncher: ProcessLauncher = {
  launch({ entry, env, execArgv }: LaunchOptions): HostedChild {
    // Our own execArgv (e.g. vitest's loader flags) still reaches the child; the server's options come after.
    const child = fork(entry, [], { env: { ...process.env, ...env }, execArgv: [...process.execArgv, ...execArgv], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    return {
      get pid() {
        return child.pid;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage: (message) => {
        if (child.connected) child.send(message as object);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.once('exit', (code) => listener(code)),
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
  },
};
