// Push rules API: GET /pushrules/, /pushrules/global/, and per rule GET/PUT/DELETE, /enabled, /actions.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { buildUserRule, deleteRule, findRule, putRule, ruleForClient, rulesetForClient, validateActions } from '../push/rules.ts';
import { isRuleKind, type RuleKind } from '../push/types.ts';
import { assertJsonDepth } from '../userdata/json_depth.ts';

function kindParam(kind: string | undefined): RuleKind {
  if (!kind || !isRuleKind(kind)) throw errors.invalidParam('kind must be one of override, content, room, sender, underride');
  return kind;
}

export function register(routes: RouteTable, ctx: ServerContext): void {
  const push = ctx.userData.pushRules;
  const rule = '/pushrules/global/:kind/:ruleId';

  routes.get(clientPath('/pushrules/'), ({ user }) => ({ global: rulesetForClient(push.ruleset(user.userId)) }));
  routes.get(clientPath('/pushrules/global/'), ({ user }) => rulesetForClient(push.ruleset(user.userId)));

  routes.get(clientPath(rule), ({ params, user }) => {
    const kind = kindParam(params.kind);
    return ruleForClient(kind, findRule(push.ruleset(user.userId), kind, params.ruleId!));
  });

  routes.put(clientPath(rule), async ({ params, query, body, user }) => {
    const kind = kindParam(params.kind);
    assertJsonDepth(body);
    const newRule = buildUserRule(kind, params.ruleId!, body);
    await push.edit(user.userId, (ruleset) => putRule(ruleset, kind, newRule, query.before, query.after));
    return {};
  });

  routes.delete(clientPath(rule), async ({ params, user }) => {
    const kind = kindParam(params.kind);
    await push.edit(user.userId, (ruleset) => deleteRule(ruleset, kind, params.ruleId!));
    return {};
  });

  routes.get(clientPath(`${rule}/enabled`), ({ params, user }) => {
    const kind = kindParam(params.kind);
    return { enabled: findRule(push.ruleset(user.userId), kind, params.ruleId!).enabled };
  });

  routes.put(clientPath(`${rule}/enabled`), async ({ params, body, user }) => {
    const kind = kindParam(params.kind);
    if (typeof body.enabled !== 'boolean') throw errors.badJson('enabled must be a boolean');
    const enabled = body.enabled;
    await push.edit(user.userId, (ruleset) => {
      findRule(ruleset, kind, params.ruleId!).enabled = enabled;
    });
    return {};
  });

  routes.get(clientPath(`${rule}/actions`), ({ params, user }) => {
    const kind = kindParam(params.kind);
    return { actions: findRule(push.ruleset(user.userId), kind, params.ruleId!).actions };
  });

  routes.put(clientPath(`${rule}/actions`), async ({ params, body, user }) => {
    const kind = kindParam(params.kind);
    assertJsonDepth(body);
    const actions = validateActions(body.actions);
    await push.edit(user.userId, (ruleset) => {
      findRule(ruleset, kind, params.ruleId!).actions = actions;
    });
    return {};
  });
}
