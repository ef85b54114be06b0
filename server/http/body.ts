// JSON request bodies: parsed by us, so every failure is a precise Matrix error.
import { errors } from './errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

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
  return value as JsonObject;
}
