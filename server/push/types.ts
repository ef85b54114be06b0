// Push rule shapes (spec definitions/push_rule.yaml, push_ruleset.yaml).
import type { JsonObject, JsonValue } from '../http/body.ts';

export type RuleKind = 'override' | 'content' | 'room' | 'sender' | 'underride';
/** Evaluation order of the kinds. */
export const RULE_KINDS: readonly RuleKind[] = ['override', 'content', 'room', 'sender', 'underride'];

export type PushAction = string | JsonObject;
export type PushCondition = { kind: string; [key: string]: JsonValue };

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export type Ruleset = Record<RuleKind, PushRule[]>;

export function isRuleKind(kind: string): kind is RuleKind {
  return (RULE_KINDS as readonly string[]).includes(kind);
}
