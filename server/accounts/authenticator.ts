// Turns `Authorization: Bearer <token>` into a Requester. Query-string tokens are not accepted (spec v1.19).
import type { Authenticator } from '../http/routes.ts';
import type { AccountService } from './service.ts';

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

export function createAuthenticator(accounts: AccountService): Authenticator {
  return (req) => {
    const token = bearerToken(req.headers.authorization);
    if (token === null) return null;
    return accounts.authenticateToken(token, { ip: req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] ?? null });
  };
}
