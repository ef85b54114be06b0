// The HTTP request listener: CORS on every answer, the route table, then express for the rest
// (the web client's files, the 404) and JSON errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import path from 'node:path';
import { setCorsHeaders } from './cors.ts';
import { webClientHeaders } from './web_headers.ts';
import { errorHandler, notFoundHandler, sendError } from './errors.ts';
import { RouteTable, type Authenticator } from './routes.ts';
import { registerAll } from '../api/index.ts';
import type { ServerContext } from '../context.ts';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export function createApp(ctx: ServerContext, authenticate: Authenticator): { app: RequestListener; routes: RouteTable } {
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

  const app: RequestListener = (req, res) => {
    try {
      useExpressPrototypes(fallback, req, res);
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
  return { app, routes };
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
