// Push rules evaluated once per event for all the members whose rulesets are alike, instead of
// once per member. Most members have the spec's default rules, which differ from one member to
// the next only where they name the member's own user ID (.m.rule.is_user_mention,
// .m.rule.invite_for_me). A ruleset with the member's ID replaced by a placeholder is its class;
// members of one class share everything but the conditions that name them or their display
// name ("personal" conditions).
//
// For one event and one class, a plan walks the rules in order once: a rule whose shared
// conditions fail is dropped for every member; the first rule with no personal conditions whose
// shared ones match ends the plan (its actions are the fallback); rules in between are the steps
// whose personal conditions each member still checks. Same first-match result as evaluate().
import type { JsonObject } from '../http/body.ts';
import { splitPath } from '../sync/filter.ts';
import { compileCondition, compileRule, globRegex, valueAt, NEVER, type EvaluationContext, type Matcher } from './evaluator.ts';
import { RULE_KINDS, type PushAction, type PushCondition, type Ruleset } from './types.ts';

/** Stands for the member's own user ID in a class (never a valid user ID). */
const SELF = '\u0000self';

interface ClassRule {
  shared: Matcher[];
  personal: Matcher[];
  actions: PushAction[];
}

export interface RulesetClass {
  rules: ClassRule[];
}

export interface EventPlan {
  steps: ClassRule[];
  fallback: PushAction[] | null;
}

const MAX_CLASSES = 1000;
const classes = new Map<string, RulesetClass>();
/** Rulesets are shared read-only objects (PushRuleService caches them): classify each once. */
const classOfRuleset = new WeakMap<Ruleset, { userId: string; cls: RulesetClass }>();

function templated(c: PushCondition, userId: string): PushCondition {
  if (c.kind === 'event_match' && c.pattern === userId) return { ...c, pattern: SELF };
  if ((c.kind === 'event_property_is' || c.kind === 'event_property_contains') && c.value === userId) return { ...c, value: SELF };
  return c;
}

/** A condition naming the member (templated to SELF), checked with the member's own ID. */
function compileSelfCondition(c: PushCondition): Matcher {
  if (typeof c.key !== 'string') return NEVER;
  const path = splitPath(c.key);
  switch (c.kind) {
    case 'event_match': {
      const wordBoundary = c.key === 'content.body';
      return (event, ctx) => {
        const value = valueAt(event, path);
        return typeof value === 'string' && globRegex(ctx.userId, wordBoundary).test(value);
      };
    }
    case 'event_property_is':
      return (event, ctx) => valueAt(event, path) === ctx.userId;
    default:
      return (event, ctx) => {
        const value = valueAt(event, path);
        return Array.isArray(value) && value.some((v) => v === ctx.userId);
      };
  }
}

function build(ruleset: Ruleset, userId: string): { key: string; compile: () => RulesetClass } {
  const shape: unknown[] = [];
  const parts: { kind: (typeof RULE_KINDS)[number]; rule: Ruleset[(typeof RULE_KINDS)[number]][number]; conditions: PushCondition[] }[] = [];
  for (const kind of RULE_KINDS) {
    for (const rule of ruleset[kind]) {
      if (!rule.enabled) continue;
      const conditions = kind === 'override' || kind === 'underride' ? (rule.conditions ?? []).map((c) => templated(c, userId)) : [];
      shape.push([kind, kind === 'room' || kind === 'sender' ? rule.rule_id : null, kind === 'content' ? (rule.pattern ?? null) : null, conditions, rule.actions]);
      parts.push({ kind, rule, conditions });
    }
  }
  const compile = (): RulesetClass => ({
    rules: parts.map(({ kind, rule, conditions }) => {
      if (kind !== 'override' && kind !== 'underride') return { shared: [compileRule(kind, rule)], personal: [], actions: rule.actions };
      const shared: Matcher[] = [];
      const personal: Matcher[] = [];
      for (const c of conditions) {
        if (c.kind === 'contains_display_name') personal.push(compileCondition(c));
        else if (c.pattern === SELF || c.value === SELF) personal.push(compileSelfCondition(c));
        else shared.push(compileCondition(c));
      }
      return { shared, personal, actions: rule.actions };
    }),
  });
  return { key: JSON.stringify(shape), compile };
}

/** The class of a member's ruleset. */
export function classOf(ruleset: Ruleset, userId: string): RulesetClass {
  const known = classOfRuleset.get(ruleset);
  if (known && known.userId === userId) return known.cls;
  const { key, compile } = build(ruleset, userId);
  let cls = classes.get(key);
  if (!cls) {
    if (classes.size >= MAX_CLASSES) classes.clear();
    classes.set(key, (cls = compile()));
  }
  classOfRuleset.set(ruleset, { userId, cls });
  return cls;
}

/** The part of the evaluation of `event` all members of the class share. `ctx.userId` is not used. */
export function planFor(cls: RulesetClass, event: JsonObject, ctx: EvaluationContext): EventPlan {
  const steps: ClassRule[] = [];
  for (const rule of cls.rules) {
    if (!rule.shared.every((m) => m(event, ctx))) continue;
    if (!rule.personal.length) return { steps, fallback: rule.actions };
    steps.push(rule);
  }
  return { steps, fallback: null };
}

/** One member's actions (the first matching rule's, or null), given the event's plan for their class. */
export function memberActions(plan: EventPlan, event: JsonObject, ctx: EvaluationContext): PushAction[] | null {
  for (const step of plan.steps) if (step.personal.every((m) => m(event, ctx))) return step.actions;
  return plan.fallback;
}
