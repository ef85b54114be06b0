// Push rule figures: evaluating the default rules for one event and one member (what every sent
// event costs per joined member), and reading a room's unread counts with many unread notifications.
//   node bench/push.ts [--quick]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultRuleset } from '../server/push/default_rules.ts';
import { evaluate, outcomeOf, type EvaluationContext } from '../server/push/evaluator.ts';
import { openStorage } from '../server/storage/database.ts';
import { MIGRATIONS } from '../server/storage/migrations/index.ts';
import { createLogger } from '../server/log.ts';
import { insertPushAction, unreadCounts } from '../server/storage/repos/push_rules.ts';
import type { JsonObject } from '../server/http/body.ts';

const quick = process.argv.includes('--quick');
const report = (figure: string, unit: string, samples: number[]) => process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples })}\n`);

function evaluationCost(): number {
  const members = Array.from({ length: 10 }, (_, i) => `@member${i}:bench.local`);
  const rulesets = members.map((m) => defaultRuleset(m));
  const events: JsonObject[] = [
    { type: 'm.room.message', sender: '@a:bench.local', room_id: '!r:bench.local', content: { msgtype: 'm.text', body: 'hello there, how is everyone?' } },
    { type: 'm.room.message', sender: '@a:bench.local', room_id: '!r:bench.local', content: { msgtype: 'm.text', body: 'ping', 'm.mentions': { user_ids: [members[3]!] } } },
    { type: 'm.reaction', sender: '@a:bench.local', room_id: '!r:bench.local', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } } },
    { type: 'm.room.encrypted', sender: '@a:bench.local', room_id: '!r:bench.local', content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'abc' } },
  ];
  const rounds = quick ? 20_000 : 100_000;
  let sink = 0;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    const m = i % members.length;
    const ctx: EvaluationContext = { userId: members[m]!, displayName: () => null, memberCount: 10, senderPowerLevel: 100, notificationLevels: { room: 50 } };
    if (outcomeOf(evaluate(rulesets[m]!, events[i % events.length]!, ctx)).notify) sink++;
  }
  const us = ((performance.now() - started) * 1000) / rounds;
  if (sink < 0) console.log(sink);
  return us;
}

async function unreadCountCost(unread: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-bench-push-'));
  const storage = await openStorage({ dir, migrations: MIGRATIONS, log: createLogger('warn') });
  try {
    await storage.write((db) => {
      for (let i = 1; i <= unread; i++) {
        insertPushAction(db, '@me:bench.local', { room_id: '!r:bench.local', stream_ordering: i, event_id: `$e${i}`, thread_id: 'main', highlight: i % 10 === 0 ? 1 : 0, actions: '["notify"]', ts: i });
      }
    });
    const rounds = 200;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) storage.read((db) => unreadCounts(db, '@me:bench.local', '!r:bench.local'));
    return (performance.now() - started) / rounds;
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const runs = quick ? 2 : 3;
const evalSamples: number[] = [];
for (let r = 0; r < runs; r++) evalSamples.push(evaluationCost());
report('push rule evaluation per event × member', 'µs', evalSamples);
for (const n of [0, 100, 2000]) {
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) samples.push(await unreadCountCost(n));
  report(`unread counts of a room with ${n} unread`, 'ms', samples);
}
