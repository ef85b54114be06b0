// Canonical JSON (spec appendix "Canonical JSON"): keys sorted by Unicode codepoint, no whitespace,
// UTF-8 (no \u escapes outside control characters), integers only within ±(2^53 - 1).
export class CanonicalJsonError extends Error {}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new CanonicalJsonError(`${value} is not an integer in the canonical JSON range`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return quote(value);
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(compareCodepoints);
      return '{' + keys.map((k) => quote(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
    }
    default:
      throw new CanonicalJsonError(`${typeof value} cannot be encoded as JSON`);
  }
}

// JSON.stringify already emits the shortest form: only ", \ and control characters are escaped,
// with \b \t \n \f \r and lowercase \u00XX for the rest, as the grammar requires.
function quote(s: string): string {
  return JSON.stringify(s);
}

/** Orders strings by Unicode codepoint (plain `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareCodepoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}
