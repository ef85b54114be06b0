// Main's subscription to the hosted server's live status WebSocket, relayed to the window over IPC,
// so the host admin's token stays in main. Runs only while the panel watches. A refused token
// (401, or close code 4401 when it dies mid-feed) gets one renewal — the controller re-mints it
// through the admin socket — before the relay gives up and reports null.
import WebSocket from 'ws';
import type { HostLiveStatus } from '../ipc-contract.ts';

export const STATUS_WS_PATH = '/_meowtrix/admin/v1/status/ws';
/** The server's close codes for a token that died (4401) or an admin who is one no longer (4403). */
const CLOSE_REFUSED = new Set([4401, 4403]);

export interface RelaySession {
  baseUrl: string;
  accessToken: string;
}

export interface StatusRelayOptions {
  /** The admin session to connect with; `refused`: the previous token was refused, renew it. Null: none now. */
  session(refused: boolean): Promise<RelaySession | null>;
  onStatus(status: HostLiveStatus | null): void;
  /** First reconnect delay after a dropped socket (doubles up to 10 s). */
  retryMs?: number;
}

export class StatusRelay {
  private readonly o: StatusRelayOptions;
  private ws: WebSocket | null = null;
  private wanted = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  /** Bumped by every connect/stop: callbacks of an older socket are ignored. */
  private generation = 0;

  constructor(options: StatusRelayOptions) {
    this.o = options;
  }

  get watching(): boolean {
    return this.wanted;
  }

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.attempts = 0;
    void this.connect(false);
  }

  stop(): void {
    this.wanted = false;
    this.drop();
  }

  /** The server (re)started: connect now if watching and not connected. */
  serverUp(): void {
    if (!this.wanted || this.ws) return;
    this.attempts = 0;
    void this.connect(false);
  }

  /** The server stopped: drop the socket without retrying; serverUp() resumes. */
  serverDown(): void {
    if (!this.wanted) return;
    this.drop();
    this.o.onStatus(null);
  }

  private drop(): void {
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.ws?.terminate();
    this.ws = null;
  }

  private async connect(refused: boolean): Promise<void> {
    this.drop();
    const generation = this.generation;
    const current = () => generation === this.generation && this.wanted;
    const session = await this.o.session(refused).catch(() => null);
    if (!current()) return;
    if (!session) {
      this.o.onStatus(null);
      return;
    }
    const url = `${session.baseUrl.replace(/^http/, 'ws')}${STATUS_WS_PATH}`;
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${session.accessToken}` }, handshakeTimeout: 10_000 });
    this.ws = ws;
    let ended = false;
    let opened = false;
    const end = (unauthorized: boolean) => {
      if (ended || !current()) return;
      ended = true;
      this.ws = null;
      ws.terminate();
      if (unauthorized) {
        // One renewal per refusal; a fresh token refused at once means the admin is signed out.
        if (!refused || opened) void this.connect(true);
        else this.o.onStatus(null);
        return;
      }
      const delay = Math.min((this.o.retryMs ?? 250) * 2 ** this.attempts++, 10_000);
      this.retryTimer = setTimeout(() => void this.connect(false), delay);
    };
    ws.on('open', () => {
      opened = true;
      this.attempts = 0;
    });
    ws.on('message', (data) => {
      if (!current()) return;
      try {
        const message = JSON.parse(String(data)) as { type?: unknown; status?: HostLiveStatus };
        if (message.type === 'status' && message.status) this.o.onStatus(message.status);
      } catch {
        // not ours: ignore
      }
    });
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      end(res.statusCode === 401 || res.statusCode === 403);
    });
    ws.on('close', (code) => end(CLOSE_REFUSED.has(code)));
    ws.on('error', () => end(false));
  }
}
