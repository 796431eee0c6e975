import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Every test yields to the event loop when it ends, so the runner's replies are read (see the file).
    setupFiles: ['test/helpers/yield-between-tests.ts'],
  },
});
