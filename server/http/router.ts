// Path matching for the route table: one walk down a tree of path segments per request, instead
// of trying route regular expressions in turn. It keeps the rules express's router applied to our
// paths: literal segments match case-insensitively, one trailing slash is ignored, a parameter is
// one non-empty segment, percent-decoded, and when several routes match, the first declared wins.
// Patterns use path-to-regexp's syntax as far as our routes do: `:name` segments and optional
// `{/:name}` groups.
import { MatrixError } from './errors.ts';

interface Endpoint<T> {
  method: string;
  value: T;
  /** Parameter names, in the order their segments appear. */
  names: string[];
  /** Declaration order: among several matches the first declared wins. */
  order: number;
}

interface Node<T> {
  /** Lower-cased literal segment → child. */
  literals: Map<string, Node<T>>;
  param: Node<T> | null;
  endpoints: Endpoint<T>[];
}

export type RouteMatch<T> =
  | { kind: 'found'; value: T; params: Record<string, string> }
  /** The path is known, but not for this method (405). */
  | { kind: 'wrong-method' }
  | { kind: 'none' };

const NONE = { kind: 'none' } as const;
const WRONG_METHOD = { kind: 'wrong-method' } as const;

export class PathRouter<T> {
  private readonly root: Node<T> = newNode();
  private count = 0;

  /** Declares `pattern` for `method`; throws on syntax this router does not understand. */
  add(method: string, pattern: string, value: T): void {
    const order = this.count++;
    for (const variant of expandOptionalGroups(pattern)) {
      let node = this.root;
      const names: string[] = [];
      for (const segment of segmentsOf(variant)) {
        if (segment.startsWith(':')) {
          const name = segment.slice(1);
          if (!/^\w+$/.test(name)) throw new Error(`route ${pattern}: unsupported parameter "${segment}"`);
          names.push(name);
          node = node.param ??= newNode();
        } else {
          if (/[:*{}()?+\\[\]]/.test(segment)) throw new Error(`route ${pattern}: unsupported segment "${segment}"`);
          const key = segment.toLowerCase();
          let child = node.literals.get(key);
          if (!child) node.literals.set(key, (child = newNode()));
          node = child;
        }
      }
      node.endpoints.push({ method, value, names, order });
    }
  }

  /**
   * The endpoint for `method` at `path` (a URL's path, still percent-encoded). HEAD is served by
   * GET endpoints. Throws 400 M_UNKNOWN when a parameter is not valid percent-encoding.
   */
  find(method: string, path: string): RouteMatch<T> {
    if (path.charCodeAt(0) !== 47 /* / */) return NONE;
    const segments = segmentsOf(path);
    const values: string[] = [];
    const leaves: Node<T>[] = [];
    collectLeaves(this.root, segments, 0, leaves);
    if (leaves.length === 0) return NONE;
    let best: Endpoint<T> | null = null;
    let bestLeaf: Node<T> | null = null;
    for (const leaf of leaves) {
      for (const endpoint of leaf.endpoints) {
        const handles = endpoint.method === method || (method === 'HEAD' && endpoint.method === 'GET');
        if (handles && (best === null || endpoint.order < best.order)) {
          best = endpoint;
          bestLeaf = leaf;
        }
      }
    }
    if (best === null) return WRONG_METHOD;
    paramValues(this.root, segments, 0, bestLeaf!, values);
    const params: Record<string, string> = {};
    for (let i = 0; i < best.names.length; i++) params[best.names[i]!] = decodeParam(values[i]!);
    return { kind: 'found', value: best.value, params };
  }
}

function newNode<T>(): Node<T> {
  return { literals: new Map(), param: null, endpoints: [] };
}

/** A path's segments after the leading slash, one trailing slash ignored ("/a/b/" → ["a", "b"]). */
function segmentsOf(path: string): string[] {
  const end = path.length > 1 && path.charCodeAt(path.length - 1) === 47 ? path.length - 1 : path.length;
  return path.slice(1, end).split('/');
}

/** Every node with endpoints that the whole of `segments` leads to, trying literal and parameter children alike. */
function collectLeaves<T>(node: Node<T>, segments: string[], i: number, out: Node<T>[]): void {
  if (i === segments.length) {
    if (node.endpoints.length > 0) out.push(node);
    return;
  }
  const segment = segments[i]!;
  if (segment.length === 0) return; // neither a literal nor a parameter is ever empty
  const literal = node.literals.get(segment) ?? (node.literals.size > 0 ? node.literals.get(segment.toLowerCase()) : undefined);
  if (literal) collectLeaves(literal, segments, i + 1, out);
  if (node.param) collectLeaves(node.param, segments, i + 1, out);
}

/** Fills `out` with the raw parameter segments on the way to `leaf`. */
function paramValues<T>(node: Node<T>, segments: string[], i: number, leaf: Node<T>, out: string[]): boolean {
  if (i === segments.length) return node === leaf;
  const segment = segments[i]!;
  if (segment.length === 0) return false;
  const literal = node.literals.get(segment) ?? node.literals.get(segment.toLowerCase());
  if (literal && paramValues(literal, segments, i + 1, leaf, out)) return true;
  if (node.param) {
    out.push(segment);
    if (paramValues(node.param, segments, i + 1, leaf, out)) return true;
    out.pop();
  }
  return false;
}

function decodeParam(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new MatrixError(400, 'M_UNKNOWN', 'A path segment is not valid percent-encoding');
  }
}

/** "/a/:b{/:c}{/:d}" → ["/a/:b", "/a/:b/:c", "/a/:b/:d", "/a/:b/:c/:d"], as path-to-regexp reads groups. */
function expandOptionalGroups(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  const close = pattern.indexOf('}', open);
  if (close < 0 || pattern.indexOf('{', open + 1) < close && pattern.indexOf('{', open + 1) >= 0) {
    throw new Error(`route ${pattern}: unsupported group`);
  }
  const before = pattern.slice(0, open);
  const inner = pattern.slice(open + 1, close);
  return expandOptionalGroups(pattern.slice(close + 1)).flatMap((rest) => [before + rest, before + inner + rest]);
}
