// ProcessLauncher on Electron's utilityProcess: the server runs outside the main process, so a crash
// or a long snapshot never freezes the window, and it works with the runAsNode fuse off.
import { utilityProcess } from 'electron';
import type { HostedChild, LaunchOptions, ProcessLauncher } from './launcher.ts';

export const utilityLauncher: ProcessLauncher = {
  launch({ entry, env, execArgv }: LaunchOptions): HostedChild {
    const child = utilityProcess.fork(entry, [], { env: { ...process.env, ...env }, execArgv, stdio: 'pipe', serviceName: 'Meowtrix homeserver' });
    let exited = false;
    child.once('exit', () => (exited = true));
    return {
      get pid() {
        return child.pid;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.once('exit', (code) => listener(code)),
      kill: (signal) => {
        if (exited || child.pid === undefined) return;
        // utilityProcess.kill() only sends SIGTERM; SIGKILL (a hung server) goes through process.kill.
        if (signal === 'SIGTERM') child.kill();
        else process.kill(child.pid, signal);
      },
    };
  },
};
