// The account services, built together: the running server and the offline CLI both use this.
import type { Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import { AccountService } from './service.ts';
import { ProfileService } from './profiles.ts';
import { RegistrationTokenService } from './registration_tokens.ts';
import { UiaService } from './uia.ts';
import { errors } from '../http/errors.ts';
import type { Logger } from '../log.ts';
import { RateLimiter, type RateLimit } from '../http/ratelimit.ts';

export interface AccountServices {
  accounts: AccountService;
  profiles: ProfileService;
  registrationTokens: RegistrationTokenService;
  uia: UiaService;
}

export function createAccountServices(deps: {
  storage: Storage;
  clock: Clock;
  serverName: string;
  log?: Logger;
  /** Failed password checks allowed per user in UIA (a stolen token must not become a password oracle). */
  passwordRateLimit?: RateLimit;
}): AccountServices {
  const accounts = new AccountService(deps);
  const profiles = new ProfileService(deps.storage, deps.log);
  const registrationTokens = new RegistrationTokenService(deps.storage, deps.clock);
  const uia = new UiaService(deps.clock);

  uia.registerStage('m.login.dummy', async () => true);
  const passwordFailures = new RateLimiter(deps.passwordRateLimit ?? { burst: 5, perSecond: 0.1 });
  uia.registerStage('m.login.password', async (auth, session) => {
    if (!session.userId) return false;
    const identifier = auth.identifier as Record<string, unknown> | undefined;
    const claimed = identifier?.type === 'm.id.user' ? identifier.user : auth.user;
    if (claimed !== undefined && (typeof claimed !== 'string' || accounts.resolveLocalUser(claimed) !== session.userId)) {
      throw errors.forbidden('You can only authenticate as yourself');
    }
    if (typeof auth.password !== 'string') throw errors.missingParam('auth.password is required');
    passwordFailures.take(session.userId);
    if (!(await accounts.checkPassword(session.userId, auth.password))) throw errors.forbidden('Invalid password');
    passwordFailures.refund(session.userId);
    return true;
  });
  uia.registerStage('m.login.registration_token', async (auth) => {
    if (typeof auth.token !== 'string' || !registrationTokens.isValid(auth.token)) throw errors.forbidden('Invalid registration token');
    return auth.token;
  });

  return { accounts, profiles, registrationTokens, uia };
}
