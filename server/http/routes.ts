// The route table: every endpoint is declared once with its method, paths and auth need.
// Handlers stay thin: they get a parsed context and return the JSON body to send.
// Requests are matched by one walk of a path tree (router.ts) and handlers are called directly,
// not through express's middleware chain: the per-request cost is on every message's path.
// Knowing every declared path lets the table tell 405 (known path, wrong method) from 404.
import express, { type Request, type Response, type RequestHandler } from 'express';
import { errors, sendError, sendJson } from './errors.ts';
import { parseJsonBody, readBody, type JsonObject } from './body.ts';
import { PathRouter } from './router.ts';
import type { Logger } from '../log.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Who made an authenticated request. */
export interface Requester {
  userId: string;
  deviceId: string;
  isAdmin: boolean;
}

/** The owner of a request's access token: null without a token; throws M_UNKNOWN_TOKEN for a bad one. */
export type Authenticator = (req: Request) => Requester | null;

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
  auth: 'required' | 'optional' | 'none';
  /** The table reads and parses a JSON body (every method but GET, unless the handler reads the raw stream). */
  readsJson: boolean;
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
    this.routes.push({
      method,
      paths: Array.isArray(paths) ? paths : [paths],
      handler,
      auth: options.auth ?? 'required',
      readsJson: !options.rawBody && method !== 'GET',
    });
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

  /**
   * A function answering the requests of declared routes; it returns false, having done nothing,
   * for any other path. `req` and `res` must already be express's (handlers use res.status(), req.get()).
   */
  dispatcher(deps: { authenticate: Authenticator; maxJsonBytes: number; log: Logger }): (req: Request, res: Response) => boolean {
    const router = new PathRouter<Route>();
    for (const route of this.routes) for (const path of route.paths) router.add(route.method, path, route);
    // Compressed bodies (rare) go through body-parser, which knows every Content-Encoding.
    const inflatingReader = express.raw({ type: () => true, limit: deps.maxJsonBytes });
    const { authenticate, maxJsonBytes, log } = deps;

    const run = (route: Route, req: Request, res: Response, params: Record<string, string>, raw: Buffer | undefined): void => {
      let result: unknown;
      try {
        // Malformed JSON is reported as such whoever sent it, before auth.
        const body = route.readsJson ? parseJsonBody(raw) : {};
        let requester: Requester | null = null;
        if (route.auth !== 'none') {
          requester = authenticate(req);
          if (!requester && route.auth === 'required') throw errors.missingToken();
        }
        result = route.handler(new RequestContext(req, res, params, queryOf(req), body, requester));
      } catch (err) {
        sendError(log, req, res, err);
        return;
      }
      if (result instanceof Promise) {
        result.then(
          (value: unknown) => answer(req, res, value),
          (err: unknown) => sendError(log, req, res, err),
        );
      } else answer(req, res, result);
    };

    /** A handler's return value is the 200 JSON answer; undefined means it answered itself. */
    const answer = (req: Request, res: Response, result: unknown): void => {
      if (result === undefined || res.headersSent) return;
      try {
        sendJson(res, 200, result);
      } catch (err) {
        sendError(log, req, res, err); // a value JSON cannot hold (a bug): 500, not an unhandled rejection
      }
    };

    return (req, res) => {
      let match;
      try {
        match = router.find(req.method, req.path);
      } catch (err) {
        sendError(log, req, res, err); // a parameter that is not valid percent-encoding
        return true;
      }
      if (match.kind === 'none') return false;
      if (match.kind === 'wrong-method') {
        sendError(log, req, res, errors.methodNotAllowed());
        return true;
      }
      const { value: route, params } = match;
      if (!route.readsJson) run(route, req, res, params, undefined);
      else if (req.headers['content-encoding'] === undefined) {
        readBody(req, maxJsonBytes, (err, raw) => (err ? sendError(log, req, res, err) : run(route, req, res, params, raw)));
      } else {
        inflatingReader(req, res, (err?: unknown) => (err ? sendError(log, req, res, err) : run(route, req, res, params, req.body as Buffer | undefined)));
      }
      return true;
    };
  }
}

/** The ctx handlers get; `user` is a getter so routes with optional auth can still ask. */
class RequestContext implements Ctx {
  readonly req: Request;
  readonly res: Response;
  readonly params: Record<string, string>;
  readonly query: Record<string, string | undefined>;
  readonly body: JsonObject;
  readonly requester: Requester | null;
  constructor(req: Request, res: Response, params: Record<string, string>, query: Record<string, string | undefined>, body: JsonObject, requester: Requester | null) {
    this.req = req;
    this.res = res;
    this.params = params;
    this.query = query;
    this.body = body;
    this.requester = requester;
  }
  get user(): Requester {
    if (!this.requester) throw errors.missingToken();
    return this.requester;
  }
}

function queryOf(req: Request): Record<string, string | undefined> {
  return req.url.includes('?') ? firstValues(req.query) : {};
}

function firstValues(query: Request['query']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(query)) {
    const first = Array.isArray(value) ? value[0] : value;
    out[key] = typeof first === 'string' ? first : undefined;
  }
  return out;
}
