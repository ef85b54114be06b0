// The CLI side of host operations: ask the running server over its admin socket, or, when no
// server is running, open the data dir directly and do it here.
import { callAdminSocket } from '../http/admin_socket.ts';
import { runAdminOp } from './admin_ops.ts';
import { createAccountServices } from './index.ts';
import { pinServerName, storedServerName } from './server_name.ts';
import { openStorage } from '../storage/database.ts';
import { MIGRATIONS } from '../storage/migrations/index.ts';
import { createLogger } from '../log.ts';
import { systemClock } from '../clock.ts';
import { defaultServerName, ensureDataDir, isValidServerName } from '../config.ts';
import { MatrixError } from '../http/errors.ts';
import { resolveConfig } from '../config.ts';
import { MediaService } from '../media/service.ts';
import { HostOpError } from './errors.ts';

export { HostOpError } from './errors.ts';

export async function runHostOp(options: { dataDir: string; serverName?: string }, op: string, args: Record<string, unknown>): Promise<any> {
  const reply = await callAdminSocket(options.dataDir, op, args);
  if (reply) {
    if (!reply.ok) throw new HostOpError(reply.error?.errcode ?? 'M_UNKNOWN', reply.error?.error ?? 'failed');
    return reply.result;
  }
  ensureDataDir(options.dataDir);
  const log = createLogger('warn');
  const storage = await openStorage({ dir: options.dataDir, migrations: MIGRATIONS, log });
  try {
    const serverName = options.serverName ?? storedServerName(storage) ?? defaultServerName();
    if (!isValidServerName(serverName)) throw new HostOpError('M_INVALID_PARAM', `"${serverName}" is not a valid server name`);
    await pinServerName(storage, serverName, log);
    const services = createAccountServices({ storage, clock: systemClock, serverName });
    const media = op.startsWith('media.')
      ? new MediaService({ config: resolveConfig({ dataDir: options.dataDir, serverName }), storage, clock: systemClock, log })
      : undefined;
    return await runAdminOp({ ...services, storage, media }, op, args);
  } catch (err) {
    if (err instanceof MatrixError) throw new HostOpError(err.errcode, err.message);
    throw err;
  } finally {
    await storage.close();
  }
}
