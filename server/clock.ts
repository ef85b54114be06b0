// The clock, behind an interface so services can be driven by a fixed time in tests and benchmarks.
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
