// Push rule evaluation (spec push.md "Conditions"): which rule matches an event for one member,
// and what its actions mean for unread counts.
import type { JsonObject, JsonValue } from '../http/body.ts';
import { splitPath } from '../sync/filter.ts';
import { RULE_KINDS, type PushAction, type PushCondition, type PushRule, type RuleKind, type Ruleset } from './types.ts';

/** What evaluation needs to know about the room and the member, beyond the event. */
export interface EvaluationContext {
  userId: string;
  /** The member's display name in the room (contains_display_name); looked up only when a rule asks. */
  displayName(): string | null;
  /** Joined members now. */
  memberCount: number;
  /** The sender's power level and the room's `notifications` levels (power levels content). */
  senderPowerLevel: number;
  notificationLevels: Record<string, number>;
}

const WORD = 'A-Za-z0-9_';
const globCache = new Map<string, RegExp>();

/** Glob (* and ?) as a case-insensitive regex; for content.body it may match any word-bounded substring. */
export function globRegex(pattern: string, wordBoundary: boolean): RegExp {
  const cacheKey = (wordBoundary ? 'w' : 'x') + pattern;
  let re = globCache.get(cacheKey);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?').replace(/\?/g, '.');
    re = wordBoundary ? new RegExp(`(?:^|[^${WORD}])${body}(?:[^${WORD}]|$)`, 'is') : new RegExp(`^${body}$`, 'is');
    if (globCache.size > 2000) globCache.clear();
    globCache.set(cacheKey, re);
  }
  return re;
}

export function valueAt(event: JsonObject, path: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = event;
  for (const part of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = node[part];
  }
  return node;
}

function isScalar(v: JsonValue | undefined): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v));
}

function memberCountTest(is: string): ((count: number) => boolean) | null {
  const m = /^(==|<|>|>=|<=)?(\d+)$/.exec(is);
  if (!m) return null;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<': return (c) => c < n;
    case '>': return (c) => c > n;
    case '<=': return (c) => c <= n;
    case '>=': return (c) => c >= n;
    default: return (c) => c === n;
  }
}

export type Matcher = (event: JsonObject, ctx: EvaluationContext) => boolean;
export const NEVER: Matcher = () => false;
const BODY = ['content', 'body'];

/** One condition, compiled once per ruleset (paths split, globs turned into regexes). */
export function compileCondition(c: PushCondition): Matcher {
  switch (c.kind) {
    case 'event_match': {
      if (typeof c.key !== 'string' || typeof c.pattern !== 'string') return NEVER;
      const path = splitPath(c.key);
      const re = globRegex(c.pattern, c.key === 'content.body');
      return (event) => {
        const value = valueAt(event, path);
        return typeof value === 'string' && re.test(value);
      };
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isScalar(c.value)) return NEVER;
      const path = splitPath(c.key);
      const wanted = c.value;
      return (event) => {
        const value = valueAt(event, path);
        return isScalar(value) && value === wanted;
      };
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isScalar(c.value)) return NEVER;
      const path = splitPath(c.key);
      const wanted = c.value;
      return (event) => {
        const value = valueAt(event, path);
        return Array.isArray(value) && value.some((v) => isScalar(v) && v === wanted);
      };
    }
    case 'contains_display_name':
      return (event, ctx) => {
        const body = valueAt(event, BODY);
        const displayName = typeof body === 'string' ? ctx.displayName() : null;
        if (typeof body !== 'string' || !displayName) return false;
        const literal = displayName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        return new RegExp(`(?:^|[^${WORD}])${literal}(?:[^${WORD}]|$)`, 'i').test(body);
      };
    case 'room_member_count': {
      const test = typeof c.is === 'string' ? memberCountTest(c.is) : null;
      return test ? (_event, ctx) => test(ctx.memberCount) : NEVER;
    }
    case 'sender_notification_permission': {
      if (typeof c.key !== 'string') return NEVER;
      const key = c.key;
      return (_event, ctx) => ctx.senderPowerLevel >= (ctx.notificationLevels[key] ?? 50);
    }
    default:
      return NEVER; // unknown conditions never match
  }
}

export function compileRule(kind: RuleKind, rule: PushRule): Matcher {
  switch (kind) {
    case 'content': {
      if (typeof rule.pattern !== 'string') return NEVER;
      const re = globRegex(rule.pattern, true);
      return (event) => {
        const body = valueAt(event, BODY);
        return typeof body === 'string' && re.test(body);
      };
    }
    case 'room':
      return (event) => event.room_id === rule.rule_id;
    case 'sender':
      return (event) => event.sender === rule.rule_id;
    default: {
      const conditions = (rule.conditions ?? []).map(compileCondition);
      return (event, ctx) => conditions.every((m) => m(event, ctx));
    }
  }
}

interface CompiledRule {
  matches: Matcher;
  actions: PushAction[];
}

/** Rulesets are shared, read-only objects (PushRuleService caches them), so compile each once. */
const compiledRulesets = new WeakMap<Ruleset, CompiledRule[]>();

function compileRuleset(ruleset: Ruleset): CompiledRule[] {
  let compiled = compiledRulesets.get(ruleset);
  if (!compiled) {
    compiled = RULE_KINDS.flatMap((kind) => ruleset[kind].filter((r) => r.enabled).map((r) => ({ matches: compileRule(kind, r), actions: r.actions })));
    compiledRulesets.set(ruleset, compiled);
  }
  return compiled;
}

/** The actions of the first enabled rule that matches, or null when none does. */
export function evaluate(ruleset: Ruleset, event: JsonObject, ctx: EvaluationContext): PushAction[] | null {
  for (const rule of compileRuleset(ruleset)) if (rule.matches(event, ctx)) return rule.actions;
  return null;
}

export interface Outcome {
  notify: boolean;
  highlight: boolean;
}

export function outcomeOf(actions: PushAction[] | null): Outcome {
  if (!actions) return { notify: false, highlight: false };
  const notify = actions.includes('notify');
  const highlight = actions.some((a) => typeof a === 'object' && a.set_tweak === 'highlight' && a.value !== false);
  return { notify, highlight: notify && highlight };
}
