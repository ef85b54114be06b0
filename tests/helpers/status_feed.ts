// A test client for the host status WebSocket (/_meowtrix/admin/v1/status/ws): connects with a
// bearer header or a ticket, records every pushed status with its arrival time.
import WebSocket from 'ws';

export interface StatusUpdate {
  at: number;
  status: any;
}

export interface StatusClient {
  updates: StatusUpdate[];
  /** The first update received (so far or later) whose status matches. */
  waitFor(match: (status: any) => boolean, timeoutMs?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function wsUrl(baseUrl: string, query = ''): string {
  return `${baseUrl.replace(/^http/, 'ws')}/_meowtrix/admin/v1/status/ws${query}`;
}

/** Opens the socket; rejects with the HTTP status when the upgrade is refused. */
export function connectStatus(baseUrl: string, auth: { token?: string; ticket?: string }): Promise<StatusClient> {
  const ws = new WebSocket(wsUrl(baseUrl, auth.ticket ? `?ticket=${encodeURIComponent(auth.ticket)}` : ''), {
    headers: auth.token ? { Authorization: `Bearer ${auth.token}` } : {},
  });
  const updates: StatusUpdate[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type === 'status') updates.push({ at: Date.now(), status: msg.status });
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body || '{}') })));
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        updates,
        closed,
        waitFor(match, timeoutMs = 10_000) {
          return new Promise((res, rej) => {
            let from = 0;
            const check = () => {
              for (; from < updates.length; from++) {
                if (match(updates[from]!.status)) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  return res(updates[from]!.status);
                }
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`no matching status within ${timeoutMs} ms; last: ${JSON.stringify(updates.at(-1)?.status)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        async close() {
          if (ws.readyState !== WebSocket.CLOSED) ws.close();
          await closed;
        },
      }),
    );
  });
}
