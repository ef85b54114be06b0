// Account figures against a real server process: one password login (scrypt dominates), one
// authenticated request (token hash lookup), and `meowtrix-server user add` while the server runs
// (the host's "an account per phone in seconds").
//   node bench/accounts.ts [--quick]
import { execFileSync } from 'node:child_process';
import { CLI, request, startServer } from '../tests/helpers/server.ts';
import { createUser } from '../tests/helpers/accounts.ts';

const quick = process.argv.includes('--quick');
const report = (figure: string, unit: string, samples: number[]) => process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples })}\n`);

const server = await startServer();
try {
  await createUser(server, 'bench', 'bench-password');
  const runs = quick ? 5 : 20;

  const logins: number[] = [];
  let token = '';
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const res = await request(server.url, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'bench', password: 'bench-password' } });
    logins.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
    token = res.body.access_token;
  }
  report('POST /login (scrypt N=2^14)', 'ms', logins);

  const whoami: number[] = [];
  for (let i = 0; i < runs * 10; i++) {
    const started = performance.now();
    await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token });
    whoami.push(performance.now() - started);
  }
  report('GET /account/whoami (token lookup)', 'ms', whoami);

  const adds: number[] = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    const started = performance.now();
    execFileSync(process.execPath, [CLI, 'user', 'add', `phone${i}`, '--password', 'pw', '--data', server.dataDir], { stdio: 'ignore' });
    adds.push(performance.now() - started);
  }
  report('meowtrix-server user add (server running)', 'ms', adds);
} finally {
  await server.dispose();
}
