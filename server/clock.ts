// The clock, behind an interface so services can be driven by a fixed time in tests and benchmarks.
import fs from 'node:fs';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/**
 * Test hook, honoured only when MEOWTRIX_TEST_CLOCK_OFFSET_FILE is set: the wall clock is shifted
 * by the milliseconds written in that file, so a test can make the server's clock jump backwards.
 */
function offsetClock(file: string): Clock {
  return {
    now: () => {
      let offset = 0;
      try {
        offset = Number(fs.readFileSync(file, 'utf8').trim()) || 0;
      } catch {
        // no file yet: no offset
      }
      return Date.now() + offset;
    },
  };
}

const offsetFile = process.env.MEOWTRIX_TEST_CLOCK_OFFSET_FILE;
export const systemClock: Clock = offsetFile ? offsetClock(offsetFile) : { now: () => Date.now() };
