// Snapshots keep up with writers that never pause: each writer queues its next write as soon as
// the previous one resolves (a promise continuation, as the bench's dataset generator and any
// handler making several writes in a row do). The engine must still let the event loop turn
// between batches, or the snapshot worker's 'exit' is never seen, no new snapshot starts, the
// journal grows without bound, and timers and sockets starve.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { tempDataDir } from '../helpers/server.ts';
import { eventNumbers, openEngine, range } from './fixtures/engine.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const THRESHOLD = 200;
const WRITERS = 16;
/** Far more writes than the snapshots below need; a starved engine uses all of them up. */
const WRITE_BUDGET = 40_000;

describe('snapshots under writers that never pause', () => {
  it('complete one after another, keep the journal near its threshold, and let timers run', async () => {
    const dir = tempDataDir('meowtrix-keepup-');
    dirs.push(dir);
    const { storage, logs } = await openEngine(dir, { snapshotAfterRecords: THRESHOLD });
    let next = 1;
    let timerTicks = 0;
    let maxJournalRecords = 0;
    let maxJournalFiles = 0;
    const ticker = setInterval(() => {
      timerTicks++;
      maxJournalFiles = Math.max(maxJournalFiles, fs.readdirSync(dir).filter((f) => /^journal-\d+\.log$/.test(f)).length);
    }, 5);
    const enough = () => storage.stats().snapshotsWritten >= 4 || next > WRITE_BUDGET;
    async function writer(): Promise<void> {
      while (!enough()) {
        const n = next++;
        await storage.write((db) => db.run('INSERT INTO events (n, body) VALUES (?, ?)', [n, `event ${n}`]));
        await storage.durable(); // as a server's writer does before it answers
        maxJournalRecords = Math.max(maxJournalRecords, storage.stats().journalRecords);
      }
    }
    const started = performance.now();
    await Promise.all(Array.from({ length: WRITERS }, writer));
    clearInterval(ticker);
    const writes = next - 1;
    const seconds = (performance.now() - started) / 1000;

    // Four snapshots finished while the writers ran, long before the budget was spent.
    expect(storage.stats().snapshotsWritten, `${writes} writes in ${seconds.toFixed(1)} s`).toBeGreaterThanOrEqual(4);
    expect(writes).toBeLessThan(WRITE_BUDGET);
    // A timer fired about as often as asked (a starved loop runs it only after the writers stop).
    expect(timerTicks).toBeGreaterThan((seconds * 1000) / 5 / 10);
    // The journal was rotated each time: never far past the threshold, and old files were pruned.
    expect(maxJournalRecords).toBeLessThan(THRESHOLD + writes / 2);
    expect(maxJournalFiles).toBeLessThanOrEqual(3);
    expect(logs.join('\n')).toMatch(/snapshot at record \d+ written/);

    await storage.close();
    const opened = await openEngine(dir);
    expect(eventNumbers(opened.storage)).toEqual(range(1, writes));
    await opened.storage.close();
  }, 120_000);
});
