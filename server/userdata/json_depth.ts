// JSON.parse accepts any nesting, but JSON.stringify (storage) overflows the stack on a few
// thousand levels. Stored client JSON is therefore refused beyond a sane depth, as M_BAD_JSON.
import { errors } from '../http/errors.ts';

export const MAX_JSON_DEPTH = 64;

/** Throws 400 M_BAD_JSON when `value` nests deeper than `max` objects/arrays. Iterative: never overflows itself. */
export function assertJsonDepth(value: unknown, max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) throw errors.badJson(`JSON nested deeper than ${max} levels`);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
}
