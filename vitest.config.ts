import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time on a 2-core machine (the default leaves one core idle): most tests wait
    // on databases, brokers and child processes rather than compute.
    maxWorkers: 2,
  },
});
