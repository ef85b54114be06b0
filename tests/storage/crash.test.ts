// Crash safety: a child process commits numbered writes as fast as it can and prints each
// acknowledgement; we SIGKILL it at random moments (a third of the time just after a snapshot
// has started) and restart it. Every acknowledged write must be there, every time.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDataDir } from '../helpers/server.ts';

const WRITER = path.join(ROOT, 'tests', 'storage', 'fixtures', 'writer.ts');
const ROUNDS = 36;

interface Round {
  recovered: string;
  maxAcked: number;
  acks: number;
  killedDuringSnapshot: boolean;
}

/** Runs the writer once and kills it; when `atSnapshot`, right after the 2nd snapshot starts. */
function runAndKill(dir: string, maxAcked: number, atSnapshot: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, String(maxAcked), '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let all = '';
    let recovered = '';
    let acked = maxAcked;
    let acks = 0;
    let snapshotsStarted = 0;
    let inSnapshot = false;
    let killedDuringSnapshot: boolean | null = null;
    const kill = () => {
      if (killedDuringSnapshot !== null) return;
      killedDuringSnapshot = inSnapshot;
      child.kill('SIGKILL');
    };
    const onLine = (line: string) => {
      if (line.startsWith('ack ')) {
        acked = Math.max(acked, Number(line.slice(4)));
        acks++;
      } else if (line.startsWith('recovered ')) {
        recovered = line;
        clearTimeout(guard);
        // A snapshot-timed round that never saw two snapshots is killed anyway, later.
        guard = setTimeout(kill, atSnapshot ? 15_000 : 20 + Math.random() * 400);
      } else if (/snapshot at record \d+ started/.test(line)) {
        inSnapshot = true;
        if (atSnapshot && ++snapshotsStarted === 2) {
          clearTimeout(guard);
          setTimeout(kill, Math.random() * 4);
        }
      } else if (/snapshot at record \d+ (written|failed)/.test(line)) {
        inSnapshot = false;
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      all += chunk;
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      // Lines read after the kill was sent were still written before the process died: count them.
      lines.forEach(onLine);
    });
    child.stderr!.on('data', (chunk: Buffer) => (all += chunk));
    // Opening may be slow on a busy machine; if it never happens the round fails below.
    let guard = setTimeout(kill, 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited by itself (${code}):\n${all.slice(-3000)}`));
      if (!recovered) return reject(new Error(`writer never opened the database:\n${all.slice(-3000)}`));
      resolve({ recovered, maxAcked: acked, acks, killedDuringSnapshot: !!killedDuringSnapshot });
    });
  });
}

describe('storage crash safety', () => {
  it(`keeps every acknowledged write across ${ROUNDS} SIGKILLs, including during snapshots`, async () => {
    const dir = tempDataDir('meowtrix-crash-');
    try {
      let maxAcked = 0;
      let duringSnapshot = 0;
      let totalAcks = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const result = await runAndKill(dir, maxAcked, round % 3 === 2);
        // The writer checks, on opening, that rows 1..max are all present and intact and max ≥ what we saw acknowledged.
        expect(result.recovered, `round ${round}`).toMatch(/ ok=true$/);
        expect(Number(/max=(\d+)/.exec(result.recovered)![1])).toBeGreaterThanOrEqual(maxAcked);
        maxAcked = result.maxAcked;
        totalAcks += result.acks;
        if (result.killedDuringSnapshot) duringSnapshot++;
      }
      const final = await runAndKill(dir, maxAcked, false);
      console.log(`crash test: ${ROUNDS} kills, ${duringSnapshot} during a snapshot, ${totalAcks} acknowledged writes, highest ${maxAcked}`);
      expect(final.recovered).toMatch(/ ok=true$/);
      expect(totalAcks).toBeGreaterThan(ROUNDS * 50);
      expect(duringSnapshot).toBeGreaterThanOrEqual(6);
      // Never a leftover that recovery could mistake for data, and files stay private.
      for (const name of fs.readdirSync(dir)) {
        expect(fs.statSync(path.join(dir, name)).mode & 0o077, name).toBe(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000); // ≈ 60 s at load 6; it took 440–540 s while the writer's continuations kept snapshots from ever finishing (keep_up.test.ts)
});
