// Small checks for request bodies: each failure is a precise 400 naming the field.
import { errors } from './errors.ts';
import type { JsonObject, JsonValue } from './body.ts';

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function objectField(body: JsonObject, field: string): JsonObject | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw errors.badJson(`"${field}" must be an object`);
  return v;
}

export function requireObjectField(body: JsonObject, field: string): JsonObject {
  const v = objectField(body, field);
  if (!v) throw errors.missingParam(`"${field}" is required`);
  return v;
}

export function stringField(body: JsonObject, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw errors.badJson(`"${field}" must be a string`);
  return v;
}

export function requireStringField(body: JsonObject, field: string): string {
  const v = stringField(body, field);
  if (v === undefined) throw errors.missingParam(`"${field}" is required`);
  return v;
}

export function intField(body: JsonObject, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw errors.badJson(`"${field}" must be an integer`);
  return v;
}

export function boolField(body: JsonObject, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw errors.badJson(`"${field}" must be a boolean`);
  return v;
}

export function stringArray(v: JsonValue | undefined, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw errors.badJson(`${what} must be an array of strings`);
  return v as string[];
}

/** A query-string integer within [min, max], or the default. */
export function queryInt(value: string | undefined, name: string, def: number, min: number, max: number): number {
  if (value === undefined || value === '') return def;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw errors.invalidParam(`"${name}" must be an integer`);
  return Math.min(max, Math.max(min, n));
}
