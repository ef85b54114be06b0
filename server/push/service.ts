// A user's push rules, kept as m.push_rules account data (so they reach clients through sync),
// with the spec defaults served until the user first changes something.
import type { JsonObject } from '../http/body.ts';
import type { AccountDataService } from '../userdata/account_data.ts';
import { defaultRuleset } from './default_rules.ts';
import { rulesetForClient, rulesetFromContent } from './rules.ts';
import type { Ruleset } from './types.ts';

export const PUSH_RULES_TYPE = 'm.push_rules';

export class PushRuleService {
  private readonly accountData: AccountDataService;
  /** Parsed rulesets for evaluation, which runs for every member of every event. */
  private readonly cache = new Map<string, Ruleset>();

  constructor(accountData: AccountDataService) {
    this.accountData = accountData;
    accountData.setFallback(PUSH_RULES_TYPE, (userId) => ({ global: rulesetForClient(defaultRuleset(userId)) as unknown as JsonObject }));
  }

  /** The user's ruleset (a shared, read-only object). */
  ruleset(userId: string): Ruleset {
    let rs = this.cache.get(userId);
    if (!rs) {
      rs = rulesetFromContent(this.accountData.get(userId, '', PUSH_RULES_TYPE), () => defaultRuleset(userId));
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(userId, rs);
    }
    return rs;
  }

  /** Applies `edit` to a copy of the current ruleset in one transaction and stores the result. */
  async edit<T>(userId: string, edit: (ruleset: Ruleset) => T): Promise<T> {
    try {
      return await this.accountData.update(userId, '', PUSH_RULES_TYPE, (current) => {
        const ruleset = structuredClone(rulesetFromContent(current, () => defaultRuleset(userId)));
        const result = edit(ruleset);
        return { content: { global: rulesetForClient(ruleset) as unknown as JsonObject }, result };
      });
    } finally {
      this.cache.delete(userId);
    }
  }
}
