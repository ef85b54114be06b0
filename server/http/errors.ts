// Matrix errors: every failure leaves the server as {errcode, error} JSON, never an HTML page.
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
  return (err, req, res, _next) => {
    let matrix: MatrixError;
    if (err instanceof MatrixError) matrix = err;
    else if (err instanceof StorageError) matrix = errors.unknown('storage write failed'); // already logged by storage
    else if (isDiskFull(err)) {
      // Not a bug but the host's disk: say so, and keep the log to one line.
      log.warn(`${req.method} ${req.path} failed: disk full (${err.code})`);
      matrix = errors.unknown('The server is out of disk space; try again later');
    } else if (isHttpError(err) && err.status === 413) matrix = errors.tooLarge();
    else if (isHttpError(err) && err.status >= 400 && err.status < 500) {
      matrix = new MatrixError(err.status, 'M_UNKNOWN', err.expose && err.message ? err.message : 'Bad request');
    } else {
      log.error(`${req.method} ${req.path} failed`, err);
      matrix = errors.unknown();
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(matrix.status).json(matrix.toJSON());
  };
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
