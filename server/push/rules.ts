// Editing a user's ruleset (PUT/DELETE /pushrules/global/{kind}/{ruleId}, .../enabled, .../actions).
// Pure functions on a Ruleset; the service persists the result as m.push_rules account data.
import type { JsonObject, JsonValue } from '../http/body.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { isValidRoomId, isValidUserId } from '../ids.ts';
import { RULE_KINDS, type PushAction, type PushCondition, type PushRule, type RuleKind, type Ruleset } from './types.ts';

const MASTER = '.m.rule.master';

/** Reads the stored m.push_rules content ({global: ruleset}); anything malformed falls back to `fallback`. */
export function rulesetFromContent(content: unknown, fallback: () => Ruleset): Ruleset {
  const global = (content as { global?: unknown } | null)?.global;
  if (typeof global !== 'object' || global === null) return fallback();
  const out = {} as Ruleset;
  for (const kind of RULE_KINDS) {
    const list = (global as Record<string, unknown>)[kind];
    out[kind] = Array.isArray(list) ? (list.filter((r) => typeof r === 'object' && r !== null && typeof r.rule_id === 'string') as PushRule[]) : [];
  }
  return out;
}

export function findRule(ruleset: Ruleset, kind: RuleKind, ruleId: string): PushRule {
  const rule = ruleset[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw errors.notFound('The push rule was not found.');
  return rule;
}

/** Legacy actions (dont_notify, coalesce) are stripped, as the spec requires. */
export function validateActions(value: JsonValue | undefined): PushAction[] {
  if (!Array.isArray(value)) throw errors.badJson('actions must be a list');
  const out: PushAction[] = [];
  for (const a of value) {
    if (a === 'dont_notify' || a === 'coalesce') continue;
    if (a === 'notify') out.push(a);
    else if (typeof a === 'object' && a !== null && !Array.isArray(a) && typeof a.set_tweak === 'string') out.push(a);
    else throw errors.badJson(`Unrecognised action ${JSON.stringify(a).slice(0, 64)}`);
  }
  return out;
}

function isScalar(v: JsonValue | undefined): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v));
}

function validateConditions(value: JsonValue | undefined): PushCondition[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw errors.badJson('conditions must be a list');
  return value.map((c) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c) || typeof c.kind !== 'string') throw errors.badJson('Each condition needs a kind');
    const need = (ok: boolean, what: string) => {
      if (!ok) throw errors.badJson(`${c.kind} condition needs ${what}`);
    };
    switch (c.kind) {
      case 'event_match':
        need(typeof c.key === 'string' && typeof c.pattern === 'string', 'a string key and pattern');
        break;
      case 'event_property_is':
      case 'event_property_contains':
        need(typeof c.key === 'string' && isScalar(c.value), 'a string key and a scalar value');
        break;
      case 'room_member_count':
        need(typeof c.is === 'string' && /^(==|<|>|>=|<=)?\d+$/.test(c.is), 'is: [op]N');
        break;
      case 'sender_notification_permission':
        need(typeof c.key === 'string', 'a string key');
        break;
      // Unknown kinds are stored as given: they never match (spec), which disables the rule.
    }
    return c as PushCondition;
  });
}

/** Builds a user-defined rule from a PUT body for that kind and rule ID. */
export function buildUserRule(kind: RuleKind, ruleId: string, body: JsonObject): PushRule {
  if (ruleId.startsWith('.')) throw new MatrixError(400, 'M_INVALID_PARAM', 'Rule IDs starting with "." are reserved for server-default rules');
  if (ruleId === '' || ruleId.includes('/') || ruleId.includes('\\')) throw new MatrixError(400, 'M_INVALID_PARAM', 'Rule IDs may not be empty or contain slashes');
  if (kind === 'room' && !isValidRoomId(ruleId)) throw errors.invalidParam('A room rule ID must be a room ID');
  if (kind === 'sender' && !isValidUserId(ruleId)) throw errors.invalidParam('A sender rule ID must be a user ID');
  const rule: PushRule = { rule_id: ruleId, default: false, enabled: true, actions: validateActions(body.actions) };
  if (kind === 'content') {
    if (typeof body.pattern !== 'string') throw errors.badJson('A content rule needs a string pattern');
    rule.pattern = body.pattern;
  } else if (kind === 'override' || kind === 'underride') {
    rule.conditions = validateConditions(body.conditions);
  }
  return rule;
}

/** Adds or replaces a user-defined rule, honouring before/after (relative to user-defined rules only). */
export function putRule(ruleset: Ruleset, kind: RuleKind, rule: PushRule, before?: string, after?: string): void {
  const list = ruleset[kind];
  const existing = list.findIndex((r) => r.rule_id === rule.rule_id);
  if (existing >= 0 && list[existing]!.default) throw new MatrixError(400, 'M_INVALID_PARAM', 'Server-default rules cannot be replaced');
  if (existing >= 0 && before === undefined && after === undefined) {
    list[existing] = { ...rule, enabled: list[existing]!.enabled };
    return;
  }
  if (existing >= 0) list.splice(existing, 1);
  const anchorId = before ?? after;
  if (anchorId !== undefined) {
    const anchor = list.findIndex((r) => r.rule_id === anchorId && !r.default);
    if (anchor < 0) throw new MatrixError(400, 'M_UNKNOWN', `before/after rule not found: ${anchorId}`);
    list.splice(before !== undefined ? anchor : anchor + 1, 0, rule);
    return;
  }
  // Most important user-defined rule of its kind; only .m.rule.master stays above it.
  const at = list.length && list[0]!.rule_id === MASTER ? 1 : 0;
  list.splice(at, 0, rule);
}

export function deleteRule(ruleset: Ruleset, kind: RuleKind, ruleId: string): void {
  const rule = findRule(ruleset, kind, ruleId);
  if (rule.default) throw new MatrixError(400, 'M_INVALID_PARAM', 'Server-default rules cannot be deleted');
  ruleset[kind] = ruleset[kind].filter((r) => r !== rule);
}

/** The ruleset as clients see it: the global ruleset with only each kind's own keys. */
export function rulesetForClient(ruleset: Ruleset): Record<RuleKind, JsonObject[]> {
  const out = {} as Record<RuleKind, JsonObject[]>;
  for (const kind of RULE_KINDS) out[kind] = ruleset[kind].map((r) => ruleForClient(kind, r));
  return out;
}

export function ruleForClient(kind: RuleKind, r: PushRule): JsonObject {
  const out: JsonObject = { rule_id: r.rule_id, default: r.default, enabled: r.enabled, actions: r.actions as JsonValue[] };
  if (kind === 'content') out.pattern = r.pattern ?? '';
  if (kind === 'override' || kind === 'underride') out.conditions = (r.conditions ?? []) as JsonValue[];
  return out;
}
