// Journals are replayed a window at a time (so a large one is never decoded or replayed all at
// once). Whatever the window size, the windowed reader must find exactly the records, and the
// same valid length, as decoding the whole file: across window edges, for records larger than
// the window, and with torn or corrupt tails.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { tempDataDir } from '../helpers/server.ts';
import { openEngine } from './fixtures/engine.ts';
import { decodeRecords, scanJournal, type JournalRecord } from '../../server/storage/journal.ts';
import { diskFiles } from '../../server/storage/files.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function scanned(file: string, windowBytes: number) {
  const records: JournalRecord[] = [];
  const result = scanJournal(diskFiles, file, (batch) => records.push(...batch), windowBytes);
  return { ...result, seqs: records.map((r) => r.seq) };
}

function whole(file: string) {
  const decoded = decodeRecords(fs.readFileSync(file));
  return { validLength: decoded.validLength, totalLength: decoded.totalLength, records: decoded.records.length, seqs: decoded.records.map((r) => r.seq) };
}

describe('reading a journal in windows', () => {
  it('finds the same records and valid length as reading it whole, for any window size and any damage', async () => {
    const dir = tempDataDir('meowtrix-scan-');
    dirs.push(dir);
    const { storage } = await openEngine(dir);
    // Records of very different sizes: some far larger than the smaller windows below.
    for (let n = 1; n <= 40; n++) {
      await storage.write((db) => db.run('INSERT INTO events (n, body) VALUES (?, ?)', [n, 'x'.repeat(n % 7 === 0 ? 5_000 : 10 + n)]));
    }
    await storage.close();
    const journal = fs.readdirSync(dir).filter((f) => /^journal-\d+\.log$/.test(f)).map((f) => path.join(dir, f)).at(-1)!;
    const intact = fs.readFileSync(journal);
    const damaged: [string, Buffer][] = [
      ['intact', intact],
      ['torn in a big record', intact.subarray(0, intact.length - 2_000)],
      ['torn in a header', intact.subarray(0, intact.length - (intact.length - 3) % 997)],
      ['flipped byte mid-file', Buffer.from(intact).fill(0x21, Math.floor(intact.length / 2), Math.floor(intact.length / 2) + 1)],
      ['garbage length field', (() => {
        const b = Buffer.from(intact);
        b.writeUInt32LE(0xfffffff0, decodeRecords(intact.subarray(0, 3_000)).validLength);
        return b;
      })()],
    ];
    for (const [what, bytes] of damaged) {
      fs.writeFileSync(journal, bytes);
      const expected = whole(journal);
      // The 40 writes above (plus the migrations' records) when intact; a valid prefix only when damaged.
      if (what === 'intact') expect(expected.records).toBeGreaterThanOrEqual(40);
      else expect(expected.validLength, what).toBeLessThan(expected.totalLength);
      for (const windowBytes of [8, 9, 64, 100, 1_000, 4_096, 7_000, 1 << 20]) {
        expect(scanned(journal, windowBytes), `${what}, window ${windowBytes}`).toEqual(expected);
      }
    }
  });
});
