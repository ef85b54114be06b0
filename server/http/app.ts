// The HTTP request listener: CORS on every answer, the route table, then express for the rest
// (the web client's files, the 404) and JSON errors.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import path from 'node:path';
import { setCorsHeaders } from './cors.ts';
import { webClientHeaders } from './web_headers.ts';
import { errorHandler, notFoundHandler, sendError } from './errors.ts';
import { RouteTable, type Authenticator } from './routes.ts';
import { registerAll } from '../api/index.ts';
import type { ServerContext } from '../context.ts';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface App {
  /** The request listener. */
  app: RequestListener;
  /** For http.createServer(serverOptions, app): requests and responses born with express's helpers. */
  serverOptions: http.ServerOptions;
  routes: RouteTable;
}

export function createApp(ctx: ServerContext, authenticate: Authenticator): App {
  const fallback = express();
  fallback.disable('x-powered-by');
  fallback.set('etag', false);
  fallback.set('query parser', 'simple');
  if (ctx.config.webRoot) {
    // The web build of the renderer, so a phone's or PC's browser can chat too.
    fallback.use(webClientHeaders);
    fallback.use(express.static(ctx.config.webRoot, { index: 'index.html', fallthrough: true }));
    fallback.get('/', (_req, res) => res.sendFile(path.join(ctx.config.webRoot!, 'index.html')));
  }
  fallback.use(notFoundHandler);
  fallback.use(errorHandler(ctx.log));

  const routes = new RouteTable();
  registerAll(routes, ctx);
  const dispatch = routes.dispatcher({ authenticate, maxJsonBytes: ctx.config.maxJsonBytes, log: ctx.log });

  const { ExpressRequest, ExpressResponse } = expressClasses(fallback, () => ctx.storage.durable());
  const app: RequestListener = (req, res) => {
    try {
      if (req instanceof ExpressRequest && res instanceof ExpressResponse) (req as IncomingMessage & { res?: ServerResponse }).res = res;
      else useExpressPrototypes(fallback, req, res); // a server made without serverOptions
      setCorsHeaders(res);
      if (req.method === 'OPTIONS') {
        res.statusCode = 204;
        res.end();
        return;
      }
      if (!dispatch(req as Request, res as Response)) fallback(req, res);
    } catch (err) {
      sendError(ctx.log, req, res, err); // a bug, not the client's input: never let it stop the server
    }
  };
  return { app, serverOptions: { IncomingMessage: ExpressRequest, ServerResponse: ExpressResponse }, routes };
}

/**
 * Node's request and response classes with express's request and response helpers (res.status(),
 * res.json(), req.get(), req.path ...) in their prototype chain, so each request starts out as
 * express's without a per-request Object.setPrototypeOf (slow in V8).
 *
 * The response also holds back an answer written in one end() (every JSON answer, error and
 * thumbnail) until the writes committed so far are on disk: storage commits in memory and syncs
 * the journal meanwhile (storage/journal_writer.ts), so an answer may be computed from state that is
 * not durable yet, and must not be seen before it is. A streamed body starts with write() and is
 * not held: a media download waits for durable() itself (api/media_download.ts); static files are
 * not stored data.
 */
function expressClasses(app: Express, durable: () => Promise<void> | null): { ExpressRequest: typeof http.IncomingMessage; ExpressResponse: typeof http.ServerResponse } {
  class ExpressRequest extends http.IncomingMessage {}
  Object.setPrototypeOf(ExpressRequest.prototype, app.request);
  class ExpressResponse<R extends IncomingMessage = IncomingMessage> extends http.ServerResponse<R> {
    /** An answer is held until durable: to everyone else it counts as sent (see headersSent below). */
    holding = false;
    // Typed loosely: ServerResponse.end has three overloads, and they are passed on as they came.
    override end(...args: unknown[]): this {
      if (this.holding) return this;
      const wait = this.headersSent ? null : durable();
      if (!wait) return (super.end as (...a: unknown[]) => this)(...args);
      this.holding = true;
      wait.then(
        () => {
          this.holding = false;
          (super.end as (...a: unknown[]) => this)(...args);
        },
        () => this.destroy(), // the disk failed: the server stops (storage onDiskFailure), this is never sent
      );
      return this;
    }
  }
  // A held answer must not be answered again (routes.ts, sendError), as if its headers were out.
  const sent = Object.getOwnPropertyDescriptor(http.OutgoingMessage.prototype, 'headersSent')!.get!;
  Object.defineProperty(ExpressResponse.prototype, 'headersSent', {
    get(this: InstanceType<typeof ExpressResponse>) {
      return this.holding || (sent.call(this) as boolean);
    },
  });
  Object.setPrototypeOf(ExpressResponse.prototype, app.response);
  return { ExpressRequest, ExpressResponse };
}

/** What express's app.handle does first, so handlers keep express's request and response helpers. */
function useExpressPrototypes(app: Express, req: IncomingMessage, res: ServerResponse): void {
  const r = req as IncomingMessage & { res?: ServerResponse };
  const s = res as ServerResponse & { req?: IncomingMessage; locals?: object };
  r.res = res;
  s.req = req;
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
  s.locals ??= Object.create(null);
}
