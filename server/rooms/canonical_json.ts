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
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort(compareCodepoints);
      let out = '{';
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        out += (out.length > 1 ? ',' : '') + quote(k) + ':' + canonicalJson(v);
      }
      return out + '}';
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
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only here can the orders differ: a surrogate (part of a codepoint above U+FFFF) sorts after
    // every other unit, although units U+E000–U+FFFF are numerically larger than surrogates.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
