// Matrix errors: every failure leaves the server as {errcode, error} JSON, never an HTML page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log.ts';
import { StorageError } from '../storage/errors.ts';

export class MatrixError extends Error {
  readonly status: number;
  readonly errcode: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, errcode: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }
  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const errors = {
  unrecognized: (msg = 'Unrecognized request') => new MatrixError(404, 'M_UNRECOGNIZED', msg),
  methodNotAllowed: () => new MatrixError(405, 'M_UNRECOGNIZED', 'Method not allowed for this endpoint'),
  notJson: (msg = 'Request body is not valid JSON') => new MatrixError(400, 'M_NOT_JSON', msg),
  badJson: (msg: string) => new MatrixError(400, 'M_BAD_JSON', msg),
  invalidParam: (msg: string) => new MatrixError(400, 'M_INVALID_PARAM', msg),
  missingParam: (msg: string) => new MatrixError(400, 'M_MISSING_PARAM', msg),
  tooLarge: (msg = 'Request body too large') => new MatrixError(413, 'M_TOO_LARGE', msg),
  notFound: (msg = 'Not found') => new MatrixError(404, 'M_NOT_FOUND', msg),
  forbidden: (msg = 'Forbidden') => new MatrixError(403, 'M_FORBIDDEN', msg),
  missingToken: () => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token'),
  unknownToken: (msg = 'Unknown or revoked access token') => new MatrixError(401, 'M_UNKNOWN_TOKEN', msg),
  limitExceeded: (retryAfterMs: number) =>
    new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs }),
  unknown: (msg = 'Internal server error') => new MatrixError(500, 'M_UNKNOWN', msg),
};

/** Last handler: nothing matched the path at all. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(errors.unrecognized());

/** Turns anything thrown into a Matrix error response; unexpected errors are logged, not leaked. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => sendError(log, req, res, err);
}

/** Answers a request with the Matrix error for `err` (or drops the connection if the answer had begun). */
export function sendError(log: Logger, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const matrix = toMatrixError(log, req, err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.removeHeader('content-type'); // one a handler set for what it meant to send (media)
  sendJson(res, matrix.status, matrix.toJSON());
}

/** The error a client sees for `err`: its own when it is a MatrixError or an HTTP client error, else 500 M_UNKNOWN. */
function toMatrixError(log: Logger, req: IncomingMessage, err: unknown): MatrixError {
  if (err instanceof MatrixError) return err;
  if (err instanceof StorageError) return errors.unknown('storage write failed'); // already logged by storage
  const where = `${req.method} ${req.url?.split('?')[0]}`;
  if (isDiskFull(err)) {
    // Not a bug but the host's disk: say so, and keep the log to one line.
    log.warn(`${where} failed: disk full (${err.code})`);
    return errors.unknown('The server is out of disk space; try again later');
  }
  if (isHttpError(err) && err.status === 413) return errors.tooLarge();
  if (isHttpError(err) && err.status >= 400 && err.status < 500) {
    return new MatrixError(err.status, 'M_UNKNOWN', err.expose && err.message ? err.message : 'Bad request');
  }
  log.error(`${where} failed`, err);
  return errors.unknown();
}

/** A JSON answer, written at once: status, two headers and the body in one write. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  // express's res.json kept a Content-Type a handler had set; so does this.
  if (!res.hasHeader('content-type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

interface HttpError {
  status: number;
  expose?: boolean;
  message?: string;
}

function isHttpError(err: unknown): err is HttpError {
  return typeof err === 'object' && err !== null && typeof (err as HttpError).status === 'number';
}

function isDiskFull(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
