// Listening on the configured port, with "port in use" as its own error (the CLI prints one line for it).
import type http from 'node:http';

export class PortInUseError extends Error {
  readonly port: number;
  readonly bind: string;
  constructor(bind: string, port: number) {
    super(`port ${port} on ${bind} is already in use`);
    this.port = port;
    this.bind = bind;
  }
}

/** Resolves once `server` listens on bind:port. */
export function listen(server: http.Server, port: number, bind: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(bind, port) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, bind);
  });
}
