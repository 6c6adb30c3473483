import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The size test builds the package once; a generous timeout keeps a slow CI machine from failing it.
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
