import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The size test builds the package once; a generous timeout keeps a slow CI machine from failing it.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll waits for something to happen (a log line, an event); its timeout only ends a wait for something
    // that never will, so it is generous: vitest's 1 s default is a wall-clock deadline a loaded machine can miss.
    expect: { poll: { timeout: 30_000 } },
  },
});
