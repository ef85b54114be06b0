import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each test file starts its own server processes; two at a time suits a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    // matrix-js-sdk and its Rust crypto log a lot; show console output only for failing tests.
    silent: 'passed-only',
  },
});
