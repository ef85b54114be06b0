// GET/POST /_synapse/admin/v1/register: shared-secret registration, so register_new_matrix_user works.
// No access token: the HMAC with the secret from <data>/registration_shared_secret is the proof.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { optBool, optString, reqString } from '../http/validate.ts';
import { checkPassword } from '../accounts/service.ts';
import { loadSharedSecret, macMatches, NonceStore, registrationMac } from '../accounts/shared_secret.ts';

const PATH = '/_synapse/admin/v1/register';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const secret = loadSharedSecret(ctx.config.dataDir);
  const nonces = new NonceStore(ctx.clock);

  routes.get(PATH, () => ({ nonce: nonces.issue() }), { auth: 'none' });

  routes.post(
    PATH,
    async ({ body }) => {
      const nonce = reqString(body, 'nonce');
      const username = reqString(body, 'username');
      const password = reqString(body, 'password');
      const mac = reqString(body, 'mac');
      const admin = optBool(body, 'admin') ?? false;
      const userType = optString(body, 'user_type');
      const displayname = optString(body, 'displayname');
      if (!nonces.consume(nonce)) throw errors.invalidParam('Unrecognised nonce');
      if (!macMatches(registrationMac(secret, { nonce, username, password, admin, userType }), mac)) {
        throw errors.forbidden('HMAC incorrect');
      }
      checkPassword(password);
      const userId = await ctx.accounts.createUser({ localpart: username, password, admin, displayname: displayname ?? username });
      const session = await ctx.accounts.createSession(userId, undefined, null);
      return { access_token: session.accessToken, user_id: userId, home_server: ctx.config.serverName, device_id: session.deviceId };
    },
    { auth: 'none' },
  );
}
