// Validates real responses against the OpenAPI schemas in ../shared/matrix-spec.
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** The spec checkout shared with the project (a sibling of the repo, as in CI). */
export const SPEC_ROOT = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'matrix-spec');
export const CLIENT_SERVER_API = path.join(SPEC_ROOT, 'data', 'api', 'client-server');

const docs = new Map<string, unknown>();
function loadYaml(file: string): unknown {
  let doc = docs.get(file);
  if (doc === undefined) {
    doc = yaml.load(fs.readFileSync(file, 'utf8'));
    docs.set(file, doc);
  }
  return doc;
}

function pointer(doc: unknown, ptr: string): unknown {
  let node = doc;
  for (const part of ptr.replace(/^#?\/?/, '').split('/').filter(Boolean)) {
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** Inlines every $ref (other files and JSON pointers), so ajv sees one self-contained schema. */
function resolveRefs(node: unknown, file: string, depth = 0): unknown {
  if (depth > 40) return {};
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, file, depth + 1));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  if (typeof obj.$ref === 'string') {
    const [target = '', ptr = ''] = obj.$ref.split('#');
    const targetFile = target ? path.resolve(path.dirname(file), target) : file;
    const resolved = pointer(loadYaml(targetFile), ptr);
    const { $ref: _ref, ...siblings } = obj;
    const inlined = resolveRefs(resolved, targetFile, depth + 1) as Record<string, unknown>;
    return Object.keys(siblings).length ? { allOf: [inlined, resolveRefs(siblings, file, depth + 1)] } : inlined;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    // OpenAPI-only keywords that ajv would reject or misread.
    if (k === 'example' || k === 'examples' || k === 'x-addedInMatrixVersion' || k === 'x-changedInMatrixVersion') continue;
    out[k] = resolveRefs(v, file, depth + 1);
  }
  return out;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);

export function responseSchema(apiFile: string, specPath: string, method: string, status: number): unknown {
  const file = path.join(CLIENT_SERVER_API, apiFile);
  const op = pointer(loadYaml(file), `/paths/${specPath.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}`) as
    | { responses?: Record<string, unknown> }
    | undefined;
  if (!op?.responses) throw new Error(`${apiFile}: no ${method} ${specPath}`);
  let response = resolveRefs(op.responses[String(status)], file) as { content?: Record<string, { schema?: unknown }> } | undefined;
  if (!response) throw new Error(`${apiFile}: ${method} ${specPath} documents no ${status} response`);
  const schema = response.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${apiFile}: ${method} ${specPath} ${status} has no JSON schema`);
  return schema;
}

/** Asserts that `body` matches the spec's schema for that endpoint and status. */
export function expectMatchesSpec(apiFile: string, specPath: string, method: string, status: number, body: unknown): void {
  const validate = ajv.compile(responseSchema(apiFile, specPath, method, status) as object);
  const ok = validate(body);
  expect(ok, `${method} ${specPath} ${status} vs ${apiFile}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`).toBe(true);
}
