// GET /health: liveness for the desktop app's supervisor and the container HEALTHCHECK.
import type { RouteTable } from '../http/routes.ts';

export function register(routes: RouteTable): void {
  routes.get('/health', ({ res }) => {
    res.type('text/plain').send('OK');
  }, { auth: 'none' });
}
