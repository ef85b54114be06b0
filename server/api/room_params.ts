// Query parameters shared by the history endpoints (messages, context, relations, threads).
import { errors } from '../http/errors.ts';

export function limitParam(value: string | undefined, fallback: number, max = 1000): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value)) throw errors.invalidParam('limit must be a non-negative integer');
  return Math.min(Math.max(Number(value), 1), max);
}

export function dirParam(value: string | undefined, fallback?: 'b' | 'f'): 'b' | 'f' {
  if (value === undefined && fallback) return fallback;
  if (value !== 'b' && value !== 'f') throw errors.invalidParam('dir must be "b" or "f"');
  return value;
}
