// The status feed's two doors: GET /_meowtrix/admin/v1/status (api/admin_status.ts) and a WebSocket
// at /_meowtrix/admin/v1/status/ws that pushes a snapshot on connect and every change after.
// Server admins only. The socket takes `Authorization: Bearer` (main's client sets it) or a one-time
// ticket from POST .../status/ticket (browsers cannot set headers), so a long-lived access token
// never travels in a URL or lands in a log.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MatrixError, errors } from '../http/errors.ts';
import { accountErrors } from '../accounts/errors.ts';
import { bearerToken } from '../accounts/authenticator.ts';
import { randomToken } from '../ids.ts';
import type { Requester } from '../http/routes.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { StatusFeed, type HostStatus } from './feed.ts';

export const STATUS_PATH = '/_meowtrix/admin/v1/status';
export const STATUS_WS_PATH = `${STATUS_PATH}/ws`;
export const TICKET_TTL_MS = 30_000;
const MAX_OPEN_TICKETS = 64;
/** The socket is one-way (server → client); anything bigger than this from the client closes it. */
const MAX_CLIENT_MESSAGE_BYTES = 1024;

/** Close codes past 4000 are the application's: the client knows to sign in again. */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;

export type StatusMessage = { type: 'status'; status: HostStatus };

interface Ticket {
  accessToken: string;
  expiresAt: number;
}

export interface StatusServiceDeps {
  feed: StatusFeed;
  clock: Clock;
  log: Logger;
  /** Resolves a token (throws M_UNKNOWN_TOKEN); `seen` records the device as used. */
  authenticate(accessToken: string, seen?: { ip: string; userAgent: string | null }): Requester;
}

export class StatusService {
  readonly feed: StatusFeed;
  private readonly d: StatusServiceDeps;
  private readonly tickets = new Map<string, Ticket>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, clientTracking: true });

  constructor(deps: StatusServiceDeps) {
    this.d = deps;
    this.feed = deps.feed;
  }

  /** A one-use ticket for opening the socket, valid 30 s, bound to the admin's token. */
  issueTicket(accessToken: string): { ticket: string; expires_in_ms: number } {
    const now = this.d.clock.now();
    for (const [key, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(key);
    // Oldest first in a Map: a flood of requests keeps only the newest tickets.
    while (this.tickets.size >= MAX_OPEN_TICKETS) this.tickets.delete(this.tickets.keys().next().value!);
    const ticket = randomToken(256);
    this.tickets.set(ticket, { accessToken, expiresAt: now + TICKET_TTL_MS });
    return { ticket, expires_in_ms: TICKET_TTL_MS };
  }

  /** The http server's 'upgrade' listener: our socket path, or a JSON 404. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let accessToken: string;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== STATUS_WS_PATH) throw errors.unrecognized('Unrecognized request');
      accessToken = this.credentials(req, url);
      const requester = this.d.authenticate(accessToken, { ip: req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] ?? null });
      if (!requester.isAdmin) throw accountErrors.notAdmin();
    } catch (err) {
      refuse(socket, err instanceof MatrixError ? err : new MatrixError(400, 'M_UNKNOWN', 'Bad request'));
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, accessToken));
  }

  /** Ends every socket (server shutdown). */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.tickets.clear();
    this.feed.close();
  }

  private credentials(req: http.IncomingMessage, url: URL): string {
    const header = bearerToken(req.headers.authorization);
    if (header) return header;
    const ticket = url.searchParams.get('ticket');
    if (!ticket) throw errors.missingToken();
    const found = this.tickets.get(ticket);
    this.tickets.delete(ticket); // one use, even when expired
    if (!found || found.expiresAt <= this.d.clock.now()) throw errors.unknownToken('Unknown or expired ticket');
    return found.accessToken;
  }

  private serve(ws: WebSocket, accessToken: string): void {
    const unsubscribe = this.feed.subscribe((status) => {
      // A revoked token, or an admin who is one no longer, stops getting the feed.
      let requester: Requester;
      try {
        requester = this.d.authenticate(accessToken);
      } catch {
        ws.close(CLOSE_UNAUTHORIZED, 'M_UNKNOWN_TOKEN');
        return;
      }
      if (!requester.isAdmin) return ws.close(CLOSE_FORBIDDEN, 'M_FORBIDDEN');
      const message: StatusMessage = { type: 'status', status };
      ws.send(JSON.stringify(message));
    });
    ws.on('close', unsubscribe);
    ws.on('error', () => ws.terminate());
    ws.on('message', () => {
      /* one-way feed: client messages are ignored */
    });
  }
}

function refuse(socket: Duplex, err: MatrixError): void {
  const body = JSON.stringify({ errcode: err.errcode, error: err.message });
  socket.end(
    `HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status] ?? ''}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
