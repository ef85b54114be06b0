// CORS as the spec asks (client-server API, "Web Browser Clients"), on every response, known
// route or not, so Element Web and Cinny in a browser can reach the server.
import type { ServerResponse } from 'node:http';

const ALLOW_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
const ALLOW_HEADERS = 'X-Requested-With, Content-Type, Authorization';

export function setCorsHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
  res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
}
