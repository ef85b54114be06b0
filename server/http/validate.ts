// Typed reads of request-body fields: a wrong type is a 400 naming the field. The one place for
// these checks; area-specific rules (device ID length, display names) stay with their area.
import { errors } from './errors.ts';
import type { JsonObject, JsonValue } from './body.ts';

type Body = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw errors.badJson(`"${field}" must be a string`);
  return v;
}

export function reqString(body: Body, field: string): string {
  const v = optString(body, field);
  if (v === undefined) throw errors.missingParam(`"${field}" is required`);
  return v;
}

export function optBool(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw errors.badJson(`"${field}" must be true or false`);
  return v;
}

/** A non-negative integer; null is kept (it means "no limit" where the spec allows it). */
export function optInt(body: Body, field: string): number | null | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw errors.badJson(`"${field}" must be a non-negative integer`);
  return v;
}

export function optObject(body: Body, field: string): JsonObject | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw errors.badJson(`"${field}" must be an object`);
  return v;
}

export function reqObject(body: Body, field: string): JsonObject {
  const v = optObject(body, field);
  if (!v) throw errors.missingParam(`"${field}" is required`);
  return v;
}

export function optArray(body: Body, field: string): JsonValue[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw errors.badJson(`"${field}" must be an array`);
  return v as JsonValue[];
}

export function stringList(body: Body, field: string): string[] {
  const v = body[field];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw errors.badJson(`"${field}" must be an array of strings`);
  return v as string[];
}

/** A query-string integer within [min, max], or the default. */
export function queryInt(value: string | undefined, name: string, def: number, min: number, max: number): number {
  if (value === undefined || value === '') return def;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw errors.invalidParam(`"${name}" must be an integer`);
  return Math.min(max, Math.max(min, n));
}
