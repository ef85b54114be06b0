// The route table: every endpoint is declared once with its method, paths and auth need.
// Handlers stay thin: they get a parsed context and return the JSON body to send.
// Knowing every declared path lets the fallback tell 405 (known path, wrong method) from 404.
import express, { type Express, type Request, type Response, type RequestHandler } from 'express';
import { match, type MatchFunction } from 'path-to-regexp';
import { errors } from './errors.ts';
import { parseJsonBody, type JsonObject } from './body.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Who made an authenticated request. */
export interface Requester {
  userId: string;
  deviceId: string;
  isAdmin: boolean;
}

/** Resolves the access token of a request, or throws M_MISSING_TOKEN / M_UNKNOWN_TOKEN. */
export type Authenticator = (req: Request) => Promise<Requester | null>;

export interface Ctx {
  req: Request;
  res: Response;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: JsonObject;
  /** The authenticated user; only set on routes with auth 'required' or 'optional'. */
  requester: Requester | null;
  /** The authenticated user, for routes that require auth. */
  readonly user: Requester;
}

export type Handler = (ctx: Ctx) => unknown;

export interface RouteOptions {
  /** 'required' (the default: secure unless said otherwise), 'optional' or 'none'. */
  auth?: 'required' | 'optional' | 'none';
  /** The handler reads the request stream itself (media upload); no JSON parsing. */
  rawBody?: boolean;
}

interface Route {
  method: Method;
  paths: string[];
  handler: Handler;
  options: RouteOptions;
}

/** `/_matrix/client/v3/...` and its legacy `r0` twin. */
export function clientPath(suffix: string): string[] {
  return [`/_matrix/client/v3${suffix}`, `/_matrix/client/r0${suffix}`];
}

/** `/_matrix/client/v1/...` (endpoints introduced after r0). */
export function clientV1Path(suffix: string): string[] {
  return [`/_matrix/client/v1${suffix}`];
}

export class RouteTable {
  private readonly routes: Route[] = [];

  add(method: Method, paths: string | string[], handler: Handler, options: RouteOptions = {}): void {
    this.routes.push({ method, paths: Array.isArray(paths) ? paths : [paths], handler, options });
  }
  get(paths: string | string[], handler: Handler, options?: RouteOptions): void {
    this.add('GET', paths, handler, options);
  }
  post(paths: string | string[], handler: Handler, options?: RouteOptions): void {
    this.add('POST', paths, handler, options);
  }
  put(paths: string | string[], handler: Handler, options?: RouteOptions): void {
    this.add('PUT', paths, handler, options);
  }
  delete(paths: string | string[], handler: Handler, options?: RouteOptions): void {
    this.add('DELETE', paths, handler, options);
  }

  /** Every declared (method, path) pair; the fuzz and compat tests walk this. */
  list(): { method: Method; path: string }[] {
    return this.routes.flatMap((r) => r.paths.map((path) => ({ method: r.method, path })));
  }

  mount(app: Express, deps: { authenticate: Authenticator; maxJsonBytes: number }): void {
    const raw = express.raw({ type: () => true, limit: deps.maxJsonBytes });
    // Routes are grouped by their literal path prefix, so a request is matched against the few
    // routes sharing its prefix instead of every route in turn. Routes of different groups can
    // never match the same path, so the order within each group is the whole order that matters.
    const groups = new Map<string, express.Router>();
    const routerFor = (path: string): express.Router | null => {
      const key = groupKey(path);
      if (key === null) return null;
      let router = groups.get(key);
      if (!router) groups.set(key, (router = express.Router()));
      return router;
    };
    app.use((req, res, next) => {
      const router = groups.get(groupKey(req.path) ?? '');
      if (router) router(req, res, next);
      else next();
    });
    for (const route of this.routes) {
      const chain: RequestHandler[] = [];
      if (!route.options.rawBody && route.method !== 'GET') chain.push(raw);
      chain.push(async (req, res) => {
        // Malformed JSON is reported as such whoever sent it, before auth.
        const body = route.options.rawBody || route.method === 'GET' ? {} : parseJsonBody(req.body);
        const auth = route.options.auth ?? 'required';
        let requester: Requester | null = null;
        if (auth !== 'none') {
          requester = await deps.authenticate(req);
          if (!requester && auth === 'required') throw errors.missingToken();
        }
        const ctx: Ctx = {
          req,
          res,
          params: req.params as Record<string, string>,
          query: firstValues(req.query),
          body,
          requester,
          get user() {
            if (!requester) throw errors.missingToken();
            return requester;
          },
        };
        const result = await route.handler(ctx);
        if (result !== undefined && !res.headersSent) res.status(200).json(result);
      });
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
      for (const path of route.paths) {
        // A path with a parameter among its first segments has no fixed prefix: matched on its own, after the groups.
        const router = routerFor(path);
        if (router) router[method](path, ...chain);
        else app[method](path, ...chain);
      }
    }
    const matchers: MatchFunction<object>[] = this.routes.flatMap((r) => r.paths.map((p) => match(p)));
    // Known path, wrong method → 405; anything else falls through to the 404 handler.
    app.use((req, _res, next) => {
      if (matchers.some((m) => m(req.path) !== false)) next(errors.methodNotAllowed());
      else next();
    });
  }
}

const GROUP_SEGMENTS = 4;

/**
 * The first segments of a path ("/_matrix/client/v3/rooms"), lower-cased as express matches
 * case-insensitively, without a trailing slash (express is not strict about it); null when a
 * route's path has a parameter or pattern among them.
 */
function groupKey(path: string): string | null {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = trimmed.toLowerCase().split('/', GROUP_SEGMENTS + 1);
  if (segments.some((s) => /[:*{}()?+\\[\]]/.test(s))) return null;
  return segments.join('/');
}

function firstValues(query: Request['query']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(query)) {
    const first = Array.isArray(value) ? value[0] : value;
    out[key] = typeof first === 'string' ? first : undefined;
  }
  return out;
}
