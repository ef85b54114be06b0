// The express application: CORS, the route table, the web client, and JSON errors.
import express, { type Express } from 'express';
import path from 'node:path';
import { cors } from './cors.ts';
import { webClientHeaders } from './web_headers.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { RouteTable, type Authenticator } from './routes.ts';
import { registerAll } from '../api/index.ts';
import type { ServerContext } from '../context.ts';

export function createApp(ctx: ServerContext, authenticate: Authenticator): { app: Express; routes: RouteTable } {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(cors);

  const routes = new RouteTable();
  registerAll(routes, ctx);
  routes.mount(app, { authenticate, maxJsonBytes: ctx.config.maxJsonBytes });

  if (ctx.config.webRoot) {
    // The web build of the renderer, so a phone's or PC's browser can chat too.
    app.use(webClientHeaders);
    app.use(express.static(ctx.config.webRoot, { index: 'index.html', fallthrough: true }));
    app.get('/', (_req, res) => res.sendFile(path.join(ctx.config.webRoot!, 'index.html')));
  }

  app.use(notFoundHandler);
  app.use(errorHandler(ctx.log));
  return { app, routes };
}
