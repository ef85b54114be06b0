// JSON request bodies: read and parsed by us, so every failure is a precise Matrix error.
import type { IncomingMessage } from 'node:http';
import { errors, MatrixError } from './errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Deeper than any Matrix body needs; stored client JSON has the same bound. */
export const MAX_JSON_DEPTH = 64;

/** With the u flag a valid pair is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Reads a request body of at most `limit` bytes: `done(null, bytes)`, `done(null, undefined)` for a
 * request without a body, or `done(error)` (413 when over the limit) once the rest of the request has
 * been read off, so the client can finish sending and read the answer. Only for bodies without a
 * Content-Encoding: the route table leaves compressed bodies to body-parser, which inflates them.
 */
export function readBody(req: IncomingMessage, limit: number, done: (err: MatrixError | null, body?: Buffer) => void): void {
  const declared = req.headers['content-length'];
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) {
    done(null, undefined);
    return;
  }
  if (declared !== undefined && Number(declared) > limit) {
    drain(req, () => done(errors.tooLarge()));
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) fail(errors.tooLarge());
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    cleanup();
    done(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
  };
  const onAbort = (): void => fail(new MatrixError(400, 'M_UNKNOWN', 'The request was aborted'));
  const fail = (err: MatrixError): void => {
    cleanup();
    drain(req, () => done(err));
  };
  const cleanup = (): void => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onAbort);
    req.off('close', onAbort);
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onAbort);
  req.on('close', onAbort);
}

/** Reads off and discards the rest of a request, then calls back (at once when it is over). */
function drain(req: IncomingMessage, then: () => void): void {
  if (req.readableEnded || req.destroyed) {
    then();
    return;
  }
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    req.off('end', once);
    req.off('close', once);
    then();
  };
  req.on('end', once);
  req.on('close', once);
  req.on('error', () => {}); // an aborted upload ends in 'close'
  req.resume();
}

/** Parses a raw body buffer; an empty body is `{}`. Matrix request bodies are always objects. */
export function parseJsonBody(raw: unknown): JsonObject {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw errors.notJson('Request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.notJson();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw errors.badJson('Request body must be a JSON object');
  }
  const problem = jsonProblem(value, 0);
  if (problem) throw errors.badJson(problem);
  return value as JsonObject;
}

/**
 * What makes a parsed body unfit to store or sign, or null: nesting beyond MAX_JSON_DEPTH,
 * numbers outside the canonical-JSON integer range (they lose precision) or not finite, and
 * strings with lone surrogates ("\ud800" escapes), which cannot be encoded as UTF-8.
 */
function jsonProblem(value: unknown, depth: number): string | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? 'Strings must not contain lone surrogates' : null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'Numbers must be finite';
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return 'Integers must be within ±(2^53 - 1)';
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const p = jsonProblem(item, depth + 1);
      if (p) return p;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return 'Keys must not contain lone surrogates';
    const p = jsonProblem(item, depth + 1);
    if (p) return p;
  }
  return null;
}
